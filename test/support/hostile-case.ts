/**
 * The project's format for hostile-HTTP cases: raw bytes and what must hold when they are sent
 * through a proxy to a recording backend. Payloads are latin1 strings with placeholders the
 * replay fills in per run:
 *
 * - `{{id}}`: the case's tag, put first in every request target (`/{{id}}/…`), so each request
 *   the backend sees is traced back to its case;
 * - `{{host}}`: the host the proxy routes to the backend;
 * - `{{canary}}`: `127.0.0.1:<port>` of a listener nothing may ever reach (used as the Host or
 *   target of smuggled requests);
 * - `{{rest}}`: the number of bytes from the end of the field section it is in to the end of the
 *   payload, or, as `{{rest:name}}`, to the marker `{{end:name}}` (which is removed): a
 *   Content-Length that frames tagged bytes exactly as the published payload framed its own.
 */

/** What became of a case's first request. */
export type Outcome =
  /** The client got a 4xx/5xx or a close, and the backend never saw the request. */
  | 'refused'
  /** The backend saw the request with its hostile element removed or rewritten. */
  | 'normalised'
  /** The backend saw the hostile element as the client sent it. */
  | 'unchanged';

/** The hostile element of a case: a field line, found at the backend by name (any case) and exact value. */
export interface Gadget {
  readonly name: string;
  readonly value: string;
}

export interface HostileCase {
  /** Unique within its family. */
  readonly name: string;
  /** Sent as is; parts after the first follow `gapMs` apart (a client waiting for an answer first). */
  readonly payload: string | readonly string[];
  readonly gadget?: Gadget;
  /**
   * The only acceptable outcome, given where exactly one is right (an RFC "MUST", or a
   * documented decision of this project), with the statuses a refusal may carry. Where several
   * are right, a list of them, or nothing at all.
   */
  readonly expect?: {
    readonly outcome: Outcome | readonly Outcome[];
    readonly statuses?: readonly number[];
  };
}

export interface HostileFamily {
  readonly name: string;
  /** Where the cases come from: repository and the files they transcribe. */
  readonly source: string;
  readonly cases: readonly HostileCase[];
}
