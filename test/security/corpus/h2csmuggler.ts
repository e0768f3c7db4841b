import type { HostileCase, HostileFamily } from '../../support/hostile-case.js';

/**
 * BishopFox's h2csmuggler (github.com/BishopFox/h2csmuggler): the h2c upgrade request of
 * `h2csmuggler.py` (`send_initial_request`, with and without `--upgrade-only`) and, as the tool
 * sends them once it has a 101, the HTTP/2 connection preface with its SETTINGS and a request
 * for a path the proxy would never route (`GET /flag`, and `-X POST -d` with a body), as in the
 * README's demo. The scan (`scan()`, the nuclei templates and the Burp check) sends the upgrade
 * alone. The smuggled HTTP/2 request carries no tag: its bytes are fixed (HPACK lengths).
 *
 * An upgrade the edge does not proxy is forwarded as an ordinary request, Upgrade stripped: this
 * project's decision, and never a tunnel. The backend here answers 101 to any h2c upgrade it
 * gets, so a proxy that forwards one opens the tunnel h2csmuggler needs.
 */

const frame = (type: number, flags: number, stream: number, payload: string) =>
  String.fromCharCode(
    (payload.length >> 16) & 0xff,
    (payload.length >> 8) & 0xff,
    payload.length & 0xff,
    type,
    flags,
    (stream >> 24) & 0x7f,
    (stream >> 16) & 0xff,
    (stream >> 8) & 0xff,
    stream & 0xff,
  ) + payload;

/** HPACK: a literal field without indexing, its name from the static table (RFC 7541 §6.2.2). */
const literal = (nameIndex: number, value: string) => String.fromCharCode(nameIndex, value.length) + value;

const SETTINGS = Buffer.from('AAMAAABkAARAAAAAAAIAAAAA', 'base64').toString('latin1');
const PREFACE = `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n${frame(0x4, 0, 0, SETTINGS)}`;

// :method GET (static 2), :scheme http (static 6), :path (4), :authority (1).
const SMUGGLED_GET = frame(0x1, 0x5, 3, `\x82\x86${literal(4, '/flag')}${literal(1, 'localhost')}`);
// :method POST (static 3), then the body in a DATA frame that ends the stream.
const SMUGGLED_POST =
  frame(0x1, 0x4, 3, `\x83\x86${literal(4, '/flag')}${literal(1, 'localhost')}`) +
  frame(0x0, 0x1, 3, '{"data":1}');

const upgrade = (connection: string) =>
  'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nAccept: */*\r\nAccept-Language: en\r\nUpgrade: h2c\r\n' +
  `HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: ${connection}\r\n\r\n`;

const NORMALISED: HostileCase['expect'] = { outcome: 'normalised' };
const UPGRADE_STRIPPED = { name: 'Upgrade', value: 'h2c' };

export const h2csmuggler: HostileFamily = {
  name: 'h2csmuggler',
  source: 'github.com/BishopFox/h2csmuggler: h2csmuggler.py, README.md, extensions/',
  cases: [
    ['scan', 'Upgrade, HTTP2-Settings', []],
    ['scan --upgrade-only', 'Upgrade', []],
    ['GET /flag', 'Upgrade, HTTP2-Settings', [PREFACE + SMUGGLED_GET]],
    ['GET /flag --upgrade-only', 'Upgrade', [PREFACE + SMUGGLED_GET]],
    ['POST /flag -d', 'Upgrade, HTTP2-Settings', [PREFACE + SMUGGLED_POST]],
  ].map(
    ([name, connection, after]): HostileCase => ({
      name: name as string,
      payload: [upgrade(connection as string), ...(after as string[])],
      gadget: UPGRADE_STRIPPED,
      expect: NORMALISED,
    }),
  ),
};
