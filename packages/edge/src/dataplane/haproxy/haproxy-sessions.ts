/**
 * HAProxy 2.6's stream-connector state for a side that is connected (`SC_ST_EST`): in
 * `show sess`, `scb=[<state>,…]` is the server side.
 */
const ESTABLISHED = 8;

// 0x55d2c3a0: proto=tcpv4 src=… fe=wharf be=p0 srv=n1:api:80 ts=00 … scf=[8,80h,fd=12] scb=[8,11h,fd=17] …
const STREAM = /^(0x[0-9a-f]+): .* be=(\S+) srv=(\S+) .* scb=\[(\d+),/;

/**
 * The streams in `show sess` (short form) that sent their request to one of `servers` of
 * backend `slot` and are connected to it: what `shutdown session <id>` takes. Streams still
 * connecting are not among them.
 */
export function establishedStreams(showSess: string, slot: string, servers: readonly string[]): string[] {
  const wanted = new Set(servers);
  const ids: string[] = [];
  for (const line of showSess.split('\n')) {
    const match = STREAM.exec(line);
    if (!match) continue;
    const [, id, backend, server, state] = match as unknown as [string, string, string, string, string];
    if (backend === slot && wanted.has(server) && Number(state) === ESTABLISHED) ids.push(id);
  }
  return ids;
}
