import { KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, putEndpoint } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { DATA_PLANES, type DataPlane, dataPlaneEnv } from '../support/data-planes.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { type ReplayResult, type ReplayTarget, replayCases } from '../support/hostile-replay.js';
import { Canary } from '../support/raw-http.js';
import { RecordingBackend } from '../support/recording-backend.js';
import { mutatedRequests } from '../support/request-mutator.js';
import { eventually } from '../support/wait.js';
import { HOSTILE_CORPUS } from './corpus/hostile-corpus.js';

// Published hostile-HTTP payloads (smuggler.py, HTTP Garden, h2csmuggler, websocket-smuggle, a
// hop-by-hop scan) and a seeded mutator, as raw bytes through a real edge to a backend that
// records every byte, with a canary nothing may reach. See hostile-replay.ts for the verdicts.

const SEED = Number(process.env.WHARF_HTTP_FUZZ_SEED ?? 20_261_130);
const FUZZ_COUNT = Number(process.env.WHARF_HTTP_FUZZ_COUNT ?? 400);
const HOST = 'hostile.test';
const layout = new KeyLayout(`/wharf-hostile-corpus-${process.pid}`);

/**
 * What HAProxy 2.6's parser decides otherwise than the built-in plane, with no setting to make
 * it refuse (edge README, "Framing on the HAProxy plane"): such a case is judged by every other
 * property, not by its expected outcome. It reads Content-Length with Transfer-Encoding as
 * chunked (drops Content-Length and closes the connection after the response) and takes a bare
 * LF as a line ending, also after chunk data — there the strict reading stops, so the request
 * that follows counts as one the client did not send.
 */
function haproxyDecidesOtherwise(bytes: string, violation: { kind: string; detail: string }): boolean {
  const head = bytes.slice(0, bytes.search(/\r?\n\r?\n/) + 1);
  const clWithTe = /(^|\n)content-length\s*:/i.test(head) && /transfer-encoding/i.test(head);
  const bareLf = /[^\r]\n/.test(bytes);
  if (violation.kind === 'expectation') return clWithTe || bareLf;
  return (
    violation.kind === 'desync' &&
    /strict reading: (bare LF|chunk data not followed by CRLF)/.test(violation.detail)
  );
}

/** One line per finding: the case, what went wrong, and the bytes that did it. */
function findings(result: ReplayResult, plane: DataPlane): string[] {
  const lines = result.cases.flatMap((entry) =>
    entry.violations
      .filter((violation) => plane !== 'haproxy' || !haproxyDecidesOtherwise(entry.bytes, violation))
      .map(
        (violation) =>
          `${entry.case.name} [${entry.tag}]: ${violation.kind}: ${violation.detail}\n    sent ${JSON.stringify(entry.bytes.slice(0, 400))}`,
      ),
  );
  for (const violation of result.unattributed)
    lines.push(`(no case): ${violation.kind}: ${violation.detail}`);
  return lines;
}

describe.each(DATA_PLANES)('published hostile HTTP through a real edge (%s plane)', (plane) => {
  let client: Etcd3;
  let edge: EdgeProcess;
  let backend: RecordingBackend;
  let canary: Canary;
  let etcd: EtcdServer;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });

  beforeAll(async () => {
    backend = await RecordingBackend.start();
    canary = await Canary.start();
    await putEndpoint(client, layout, 'hostile', 'n1:hostile:80', backend.port, { host: HOST });
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { ...dataPlaneEnv(plane), WHARF_UPSTREAM_TIMEOUT: '2s', WHARF_HEADERS_TIMEOUT: '2s' },
    });
    await eventually(async () => expect((await get(edge.url, HOST)).status).toBe(200));
  });
  afterAll(async () => {
    await edge?.kill();
    await backend?.close();
    await canary?.close();
  });

  const target = (): ReplayTarget => ({ port: edge.port, host: HOST, backend, canary });

  it.each(
    HOSTILE_CORPUS.map((family) => [`${family.name} (${family.cases.length} cases)`, family] as const),
  )('%s: every verdict holds', async (_name, family) => {
    const result = await replayCases(target(), family.cases);
    expect(findings(result, plane)).toEqual([]);
    expect(result.servesAfterwards).toBe(true);
    expect(edge.child.exitCode).toBeNull();
  });

  it(`a seeded mutator fuzz of the request parser (seed ${SEED}, ${FUZZ_COUNT} requests; WHARF_HTTP_FUZZ_SEED reproduces it)`, async () => {
    const result = await replayCases(target(), [...mutatedRequests({ seed: SEED, count: FUZZ_COUNT })]);
    expect(findings(result, plane), `seed ${SEED}`).toEqual([]);
    expect(result.servesAfterwards).toBe(true);
    expect(edge.child.exitCode).toBeNull();
    expect(canary.connections).toBe(0);
  });
});
