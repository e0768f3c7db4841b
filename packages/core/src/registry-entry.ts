import type { KeyLayout, ParsedKey } from './key-layout.js';
import {
  type BridgeRecord,
  type DecodeResult,
  type DrainRecord,
  decodeBridgeRecord,
  decodeDrainRecord,
  decodeEndpointRecord,
  decodeRouteRecord,
  type EndpointRecord,
  type RouteRecord,
} from './records.js';
import {
  type AcmeAccountRecord,
  type AcmeChallengeRecord,
  type AcmeLockRecord,
  type AcmeStatusRecord,
  type CertificateRecord,
  decodeAcmeAccountRecord,
  decodeAcmeChallengeRecord,
  decodeAcmeLockRecord,
  decodeAcmeStatusRecord,
  decodeCertificateRecord,
} from './tls-records.js';

/** The record each kind of key holds. */
export interface RecordKinds {
  endpoint: EndpointRecord;
  bridge: BridgeRecord;
  route: RouteRecord;
  drain: DrainRecord;
  certificate: CertificateRecord;
  challenge: AcmeChallengeRecord;
  /** The ACME issuers' own state; which of the three the key's section says. */
  acme: AcmeAccountRecord | AcmeLockRecord | AcmeStatusRecord;
}
export type RecordKind = keyof RecordKinds;

/** A valid key and its decoded record, typed by kind. */
export type RegistryEntry = {
  [K in RecordKind]: {
    readonly kind: K;
    readonly key: string;
    readonly parsed: Extract<ParsedKey, { kind: K }>;
    readonly record: RecordKinds[K];
  };
}[RecordKind];

/** A key under the prefix that is no usable record, and why; readers skip it with one warning. */
export interface RejectedEntry {
  readonly key: string;
  readonly code: string;
  readonly reason: string;
}

const ACME_DECODERS = {
  accounts: decodeAcmeAccountRecord,
  locks: decodeAcmeLockRecord,
  status: decodeAcmeStatusRecord,
} as const;

const DECODERS: {
  [K in RecordKind]: (
    raw: string | Buffer,
    parsed: Extract<ParsedKey, { kind: K }>,
  ) => DecodeResult<RecordKinds[K]>;
} = {
  endpoint: decodeEndpointRecord,
  bridge: decodeBridgeRecord,
  route: decodeRouteRecord,
  drain: decodeDrainRecord,
  certificate: decodeCertificateRecord,
  challenge: decodeAcmeChallengeRecord,
  acme: (raw, parsed) => ACME_DECODERS[parsed.section](raw),
};

/**
 * The one place where a key and its value become a typed record: the key layout says the kind,
 * the kind says the schema. Every reader (watchers, the CLI) goes through here.
 */
export function decodeRegistryEntry(
  layout: KeyLayout,
  key: string,
  value: string | Buffer,
): { ok: true; entry: RegistryEntry } | { ok: false; rejected: RejectedEntry } {
  const parsed = layout.parse(key);
  if (!parsed) {
    return {
      ok: false,
      rejected: { key, code: 'WHARF_INVALID_RECORD', reason: 'key is not part of the wharf key layout' },
    };
  }
  const decode = DECODERS[parsed.kind] as (
    raw: string | Buffer,
    parsed: ParsedKey,
  ) => DecodeResult<RecordKinds[RecordKind]>;
  const decoded = decode(value, parsed);
  if (!decoded.ok) {
    return { ok: false, rejected: { key, code: decoded.error.code, reason: decoded.error.message } };
  }
  return { ok: true, entry: { kind: parsed.kind, key, parsed, record: decoded.record } as RegistryEntry };
}
