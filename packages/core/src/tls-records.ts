import { z } from 'zod';
import { decodeRecord, RECORD_VERSION, routeHost } from './records.js';

const isoTime = z.string().max(64);
const base64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'expected base64' });

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_PRIVATE_KEY =
  /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;

/** One or more PEM certificates, leaf first. */
export const pemChain = z
  .string()
  .max(32 * 1024)
  .refine((value) => PEM_CERTIFICATE.test(value), { message: 'expected PEM certificates' });

export const pemPrivateKey = z
  .string()
  .max(16 * 1024)
  .refine((value) => PEM_PRIVATE_KEY.test(value), { message: 'expected a PEM private key' });

/**
 * A private key sealed with the key in `WHARF_TLS_KEY_FILE` (AES-256-GCM): `kid` names that key
 * (the start of its SHA-256), so an edge holding another key says so instead of failing blindly.
 */
export const sealedKeySchema = z.object({
  alg: z.literal('aes-256-gcm'),
  kid: z.string().regex(/^[0-9a-f]{16}$/),
  iv: base64(32),
  tag: base64(32),
  data: base64(24 * 1024),
});

/** A private key as stored: PEM, or sealed. */
export const storedPrivateKey = z.union([pemPrivateKey, sealedKeySchema]);

/** Host names a certificate covers: route hosts, `*.` wildcards included. */
const certificateDomain = routeHost;

/**
 * `<prefix>/certs/<name>`: a certificate every edge serves to clients that ask for one of its
 * domains (SNI). `source` says who keeps it: `acme` ones are issued and renewed by the edges;
 * any other (`manual`, or an operator's own word) is never touched by them.
 */
export const certificateRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  domains: z.array(certificateDomain).min(1).max(100),
  chain: pemChain,
  key: storedPrivateKey,
  notBefore: isoTime,
  notAfter: isoTime,
  source: z.string().regex(/^[a-z0-9-]{1,32}$/, { message: 'expected a source such as acme or manual' }),
});

/** The ACME challenge types the edges answer. */
export const ACME_CHALLENGE_TYPES = ['http-01', 'tls-alpn-01'] as const;
export type AcmeChallengeType = (typeof ACME_CHALLENGE_TYPES)[number];

/**
 * `<prefix>/acme/challenges/<token>`: a challenge being validated, on the lease of the edge that
 * placed the order, so that every edge answers it (the CA may reach any of them). For
 * `tls-alpn-01`, the self-signed certificate that carries the key authorization (RFC 8737) and
 * its throwaway key: public knowledge by design, nothing to protect.
 */
export const acmeChallengeRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  type: z.enum(ACME_CHALLENGE_TYPES),
  domain: certificateDomain.refine((value) => !value.startsWith('*.'), {
    message: 'expected a host name without wildcard',
  }),
  token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/),
  keyAuthorization: z.string().regex(/^[A-Za-z0-9_.-]{1,512}$/),
  certificate: pemChain.optional(),
  key: pemPrivateKey.optional(),
});

/** `<prefix>/acme/accounts/<id>`: the ACME account every edge orders with, for one directory. */
export const acmeAccountRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  directory: z.string().url().max(2048),
  email: z.string().max(254).optional(),
  url: z.string().url().max(2048),
  key: storedPrivateKey,
  createdAt: isoTime,
});

/** `<prefix>/acme/locks/<name>`: the edge issuing that certificate now, on its lease. */
export const acmeLockRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  holder: z.string().max(253),
  since: isoTime,
});

/**
 * `<prefix>/acme/status/<name>`: how the last issuance attempts went, shared so that every edge
 * honours one backoff (several edges retrying on their own would hit the CA's rate limits).
 */
export const acmeStatusRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  /** Failed attempts in a row; 0 after a success. */
  failures: z.number().int().min(0).max(1_000_000),
  lastAttemptAt: isoTime,
  /** No edge tries again before this time. */
  nextAttemptAt: isoTime.optional(),
  lastError: z.string().max(1024).optional(),
  holder: z.string().max(253).optional(),
});

export type SealedKey = z.infer<typeof sealedKeySchema>;
export type StoredPrivateKey = z.infer<typeof storedPrivateKey>;
export type CertificateRecord = z.infer<typeof certificateRecordSchema>;
export type AcmeChallengeRecord = z.infer<typeof acmeChallengeRecordSchema>;
export type AcmeAccountRecord = z.infer<typeof acmeAccountRecordSchema>;
export type AcmeLockRecord = z.infer<typeof acmeLockRecordSchema>;
export type AcmeStatusRecord = z.infer<typeof acmeStatusRecordSchema>;

export const decodeCertificateRecord = (raw: string | Buffer) => decodeRecord(certificateRecordSchema, raw);
export const decodeAcmeChallengeRecord = (raw: string | Buffer) =>
  decodeRecord(acmeChallengeRecordSchema, raw);
export const decodeAcmeAccountRecord = (raw: string | Buffer) => decodeRecord(acmeAccountRecordSchema, raw);
export const decodeAcmeLockRecord = (raw: string | Buffer) => decodeRecord(acmeLockRecordSchema, raw);
export const decodeAcmeStatusRecord = (raw: string | Buffer) => decodeRecord(acmeStatusRecordSchema, raw);
