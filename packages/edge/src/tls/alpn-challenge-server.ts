import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { ACME_TLS_ALPN, type AlpnChallenge, type ChallengeSet } from './challenge-set.js';
import { TLS_PROTOCOL_OPTIONS } from './tls-protocol-options.js';

export interface AlpnChallengeServerOptions {
  /** The current challenges; read once per handshake. */
  readonly challenges: () => ChallengeSet;
  /** A handshake that failed (no challenge for the name, not TLS). */
  readonly onFailure?: (error: NodeJS.ErrnoException) => void;
}

/**
 * Answers ACME TLS-ALPN-01 validations (RFC 8737): a TLS server that speaks only `acme-tls/1`
 * and presents the challenge certificate for the SNI, then closes — the validator only looks at
 * the certificate. The built-in plane hands it the connections that ask for `acme-tls/1`; the
 * HAProxy plane has it listen on loopback and sends those connections there.
 */
export function createAlpnChallengeServer(options: AlpnChallengeServerOptions): Server {
  const contexts = new WeakMap<AlpnChallenge, SecureContext>();
  const context = (challenge: AlpnChallenge) => {
    let found = contexts.get(challenge);
    if (found === undefined) {
      found = createSecureContext({
        ...TLS_PROTOCOL_OPTIONS,
        cert: challenge.certificate,
        key: challenge.key,
      });
      contexts.set(challenge, found);
    }
    return found;
  };
  const server = createServer(
    {
      ...TLS_PROTOCOL_OPTIONS,
      ALPNProtocols: [ACME_TLS_ALPN],
      SNICallback: (serverName, callback) => {
        const challenge = options.challenges().alpn(serverName);
        if (challenge === undefined)
          callback(new Error(`no TLS-ALPN-01 challenge for ${serverName}`), undefined);
        else callback(null, context(challenge));
      },
    },
    (socket) => socket.end(),
  );
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    options.onFailure?.(error);
    socket.destroy();
  });
  return server;
}
