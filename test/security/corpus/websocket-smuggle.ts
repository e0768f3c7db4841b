import type { HostileFamily } from '../../support/hostile-case.js';

/**
 * 0ang3el's websocket-smuggle challenges (github.com/0ang3el/websocket-smuggle): a request for
 * an address the proxy does not route (`GET /flag`, `Host: localhost:5000` there, the canary
 * here) sent on a connection the proxy believes upgraded.
 *
 * - Challenge 1 (`Challenge1/challenge.py`): a WebSocket handshake with a version the backend
 *   refuses (it answers 426 and reads on as HTTP); a proxy that tunnels without looking at the
 *   answer lets the second request through. As published (no `Connection: Upgrade`), and as
 *   in the README's handshake.
 * - Challenge 2 (`Challenge2/challenge.py`): a POST with `Upgrade: websocket` to a health check
 *   that relays the status of a URL the attacker controls — 101 (`respond=101` here); a proxy
 *   that trusts the status tunnels. With CRLF, and with the bare LFs the published script sends.
 * - A control: a handshake the backend accepts; what follows belongs to the tunnel and must not
 *   be read as a request.
 *
 * An upgrade other than a WebSocket handshake on GET is forwarded as an ordinary request
 * (Upgrade stripped), this project's decision, so the 101 of challenge 2 is one nobody asked for.
 */

const FLAG = 'GET /{{id}}/flag HTTP/1.1\r\nHost: {{canary}}\r\n\r\n';
const HEALTHCHECK =
  'POST /{{id}}/api/public/healthcheck?respond=101 HTTP/1.1\r\nHost: {{host}}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
  'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 32\r\n\r\nurl=http://toor.0ang3el.ml/r.php';

export const websocketSmuggle: HostileFamily = {
  name: 'websocket-smuggle',
  source: 'github.com/0ang3el/websocket-smuggle: README.md, Challenge1/challenge.py, Challenge2/challenge.py',
  cases: [
    {
      name: 'challenge 1 as published: version 1337, no Connection: Upgrade',
      payload: [
        'GET /{{id}}/socket.io/?transport=websocket HTTP/1.1\r\nHost: {{host}}\r\nSec-WebSocket-Version: 1337\r\nUpgrade: websocket\r\n\r\n',
        FLAG,
      ],
    },
    {
      name: "challenge 1 with the README's handshake: version 1337",
      payload: [
        'GET /{{id}}/socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: {{host}}\r\nSec-WebSocket-Version: 1337\r\n' +
          'Origin: http://{{host}}\r\nSec-WebSocket-Key: nf6dB8Pb/BLinZ7UexUXHg==\r\nConnection: keep-alive, Upgrade\r\n' +
          'Pragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n',
        FLAG,
      ],
    },
    {
      name: 'challenge 2: POST with Upgrade to a health check that answers 101',
      payload: [HEALTHCHECK, FLAG],
      gadget: { name: 'Upgrade', value: 'websocket' },
      expect: { outcome: 'normalised' },
    },
    {
      name: 'challenge 2 as published: bare LF line endings',
      payload: [HEALTHCHECK.replaceAll('\r\n', '\n'), FLAG.replaceAll('\r\n', '\n')],
    },
    {
      name: 'control: a handshake the backend accepts, then a request inside the tunnel',
      payload: [
        'GET /{{id}}/socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: {{host}}\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: nf6dB8Pb/BLinZ7UexUXHg==\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n',
        FLAG,
      ],
    },
  ],
};
