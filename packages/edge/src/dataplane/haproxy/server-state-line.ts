/** What HAProxy's passive health did to one server, read from its warning line. */
export interface ServerStateChange {
  /** `slot/server`, as in `show stat`. */
  readonly server: string;
  readonly state: 'down' | 'up';
  /** Why, in the built-in plane's words where they mean the same (`connect_failed`), else HAProxy's. */
  readonly reason: string;
}

// "Server p0/n1:api:80 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last
// one was: L4 unsuccessful connection". 2 active and 3 backup servers left. …"
// "Server p0/n1:api:80 is UP, reason: Layer4 check passed, check duration: 0ms. …"
const LINE = /Server (\S+\/\S+) is (DOWN|UP), reason: ([^,]+)(?:, info: "([^"]*)")?/;
const LAST_ERROR = /last one was: (.+)$/;

/**
 * A change of a server's health that HAProxy decided (passive health marking it down, the check
 * of a down server bringing it back), or undefined for every other line — the edge's own
 * maintenance, drains and removals say "for maintenance" or "going DOWN" and are not health.
 */
export function parseServerStateLine(line: string): ServerStateChange | undefined {
  const match = LINE.exec(line);
  if (!match || /maintenance/i.test(line)) return undefined;
  const [, server, state, reason, info] = match as unknown as [string, string, string, string, string?];
  if (state === 'UP') return { server, state: 'up', reason: reason.trim() };
  const last = LAST_ERROR.exec(info ?? '')?.[1]?.trim();
  // HAProxy's analysis counts a connect that timed out and one that was refused alike.
  const cause = last === 'L4 unsuccessful connection' ? 'connect_failed' : (last ?? reason.trim());
  return { server, state: 'down', reason: cause };
}
