import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { formatHostPort } from '@wharf/core';
import type { RoutePool } from '../../routing/route-table.js';
import type { ChallengeSet } from '../../tls/challenge-set.js';
import { isHttpChallengePath } from '../../tls/challenge-set.js';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * True for a request framed by HTTP/2 (the TLS listener's compatibility API), as opposed to an
 * HTTP/1 request line that merely says `HTTP/2.0`, which Node's HTTP/1 parser also accepts.
 */
export function isHttp2Request(req: Request): boolean {
  return (req as { stream?: unknown }).stream !== undefined;
}

/** True when the request came over TLS (HTTP/1.1 on a TLS socket, or HTTP/2). */
export function isEncrypted(req: Request): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

/**
 * Answers an ACME HTTP-01 validation from the challenges in etcd, whichever edge placed the
 * order. False when the path is no known challenge: the request is then routed as usual.
 */
export function answerHttpChallenge(req: Request, res: Response, challenges: ChallengeSet): boolean {
  const keyAuthorization = challenges.httpResponse(req.url ?? '');
  if (keyAuthorization === undefined) return false;
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': Buffer.byteLength(keyAuthorization),
    'cache-control': 'no-store',
  });
  res.end(keyAuthorization);
  return true;
}

/** The route wants HTTPS and this request came in clear (ACME HTTP-01 paths always stay). */
export function wantsHttpsRedirect(pool: RoutePool, req: Request): boolean {
  return pool.tls.redirect && !isEncrypted(req) && !isHttpChallengePath(req.url ?? '');
}

/**
 * 308 to the same host and path over HTTPS: unlike 301 it keeps the method and body, so a POST
 * stays a POST. `httpsPort` is the port clients reach the TLS listener on (443: left out).
 */
export function redirectToHttps(
  res: Response,
  host: string,
  url: string,
  httpsPort: number,
  requestId: string,
): void {
  const location = `https://${httpsPort === 443 ? host : formatHostPort(host, httpsPort)}${url}`;
  res.writeHead(308, {
    location,
    'content-length': 0,
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end();
}

/** The `Strict-Transport-Security` value for a response over HTTPS on this route, or undefined. */
export function hstsHeader(pool: RoutePool): string | undefined {
  return pool.tls.hsts === undefined ? undefined : `max-age=${pool.tls.hsts}`;
}
