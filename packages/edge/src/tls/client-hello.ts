/** What the first bytes of a connection to the TLS listener say. */
export type ClientHelloPeek =
  /** More bytes are needed. */
  | { readonly kind: 'incomplete' }
  | {
      readonly kind: 'client-hello';
      readonly serverName: string | undefined;
      readonly alpn: readonly string[];
    }
  /** A request line in clear text: plain HTTP sent to the TLS port. */
  | { readonly kind: 'plain-http' }
  /** Anything else: left to the TLS stack to refuse. */
  | { readonly kind: 'other' };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const EXTENSION_ALPN = 0x0010;
/** A ClientHello is a few hundred bytes to a few kilobytes; one record holds at most 16 KiB. */
export const MAX_CLIENT_HELLO_BYTES = 16_384 + 5;
const HTTP_METHOD = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|TRACE|CONNECT|PRI) /;

/**
 * Reads the server name (SNI) and the offered ALPN protocols from the start of a TLS connection
 * without consuming it, so the listener can send an ACME TLS-ALPN-01 validation (which offers
 * only `acme-tls/1`) to the challenge responder: Node picks the certificate by SNI alone. Pure;
 * never throws — malformed input is `other`, and the TLS stack then refuses it.
 */
export function peekClientHello(bytes: Buffer): ClientHelloPeek {
  if (bytes.length === 0) return { kind: 'incomplete' };
  if (bytes[0] !== HANDSHAKE) {
    const head = bytes.subarray(0, 8).toString('latin1');
    if (HTTP_METHOD.test(head)) return { kind: 'plain-http' };
    // A partial method ("GE") could still become one.
    return bytes.length < 8 && /^[A-Z]+$/.test(head) ? { kind: 'incomplete' } : { kind: 'other' };
  }
  // The handshake message may span several records: join their payloads.
  const payloads: Buffer[] = [];
  let offset = 0;
  let joined: Buffer;
  for (;;) {
    if (bytes.length < offset + 5) return { kind: 'incomplete' };
    if (bytes[offset] !== HANDSHAKE) return { kind: 'other' };
    const length = bytes.readUInt16BE(offset + 3);
    if (length === 0 || length > 16_384) return { kind: 'other' };
    if (bytes.length < offset + 5 + length) return { kind: 'incomplete' };
    payloads.push(bytes.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
    joined = payloads.length === 1 ? payloads[0]! : Buffer.concat(payloads);
    if (joined.length < 4) continue;
    if (joined[0] !== CLIENT_HELLO) return { kind: 'other' };
    const messageLength = joined.readUIntBE(1, 3);
    if (messageLength + 4 > MAX_CLIENT_HELLO_BYTES) return { kind: 'other' };
    if (joined.length >= messageLength + 4) return parseBody(joined.subarray(4, 4 + messageLength));
  }
}

function parseBody(body: Buffer): ClientHelloPeek {
  const other = { kind: 'other' } as const;
  let at = 2 + 32; // client_version, random
  if (body.length < at + 1) return other;
  at += 1 + body[at]!; // session_id
  if (body.length < at + 2) return other;
  at += 2 + body.readUInt16BE(at); // cipher_suites
  if (body.length < at + 1) return other;
  at += 1 + body[at]!; // compression_methods
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (body.length < at + 2) return { kind: 'client-hello', serverName, alpn };
  const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
  at += 2;
  while (at + 4 <= end) {
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    const data = body.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (at > end) return other;
    if (type === EXTENSION_SERVER_NAME && data.length >= 5 && data[2] === 0) {
      const nameLength = data.readUInt16BE(3);
      serverName = data.subarray(5, 5 + nameLength).toString('latin1');
    } else if (type === EXTENSION_ALPN && data.length >= 2) {
      const listEnd = Math.min(data.length, 2 + data.readUInt16BE(0));
      for (let index = 2; index < listEnd; ) {
        const protocolLength = data[index]!;
        alpn.push(data.subarray(index + 1, index + 1 + protocolLength).toString('latin1'));
        index += 1 + protocolLength;
      }
    }
  }
  return { kind: 'client-hello', serverName, alpn };
}
