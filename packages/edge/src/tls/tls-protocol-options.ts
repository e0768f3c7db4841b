import type { SecureContextOptions } from 'node:tls';

/**
 * TLS 1.2 and 1.3 only. For 1.2, forward-secret AEAD suites only (Mozilla's "intermediate"
 * list, without DHE); TLS 1.3's suites are all fine and are OpenSSL's defaults. Both data planes
 * use these (the HAProxy plane renders them into its bind line).
 */
export const TLS_PROTOCOL_OPTIONS = Object.freeze({
  minVersion: 'TLSv1.2',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: 'X25519:prime256v1:secp384r1',
  // Clients pick among the suites above: all are strong, and they know whether they have AES
  // hardware (Mozilla's advice for this list).
  honorCipherOrder: false,
} as const satisfies SecureContextOptions);

/** What the TLS port answers a client speaking plain HTTP to it, in clear text. */
export const PLAIN_HTTP_ON_TLS_MESSAGE = 'this port speaks HTTPS, not plain HTTP.';
