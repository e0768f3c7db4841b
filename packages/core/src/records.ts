import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidRecordError, UnknownVersionError, type WharfError } from './errors.js';
import { isValidName } from './names.js';

/** The record version this wharf writes and understands. Readers skip any other. */
export const RECORD_VERSION = 1;

/** Values larger than this are refused before parsing: no record legitimately comes close. */
export const MAX_RECORD_BYTES = 64 * 1024;

const name = (kind: string) => z.string().refine(isValidName, { message: `invalid ${kind}` });

// An IPv4 or IPv6 literal, or a DNS name; never a URL, never with a port or path. A name whose
// last label is numeric (`2852039166`, `0xa9fea9fe`, `169.254.43518`) is no DNS name (RFC 3696
// §2) but an IPv4 address in another notation that resolvers accept: refused, so that address
// policy sees every IP literal as one.
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const NUMERIC_LABEL = /(^|\.)(0x[0-9a-f]*|[0-9]+)$/i;
export function isAddress(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return HOSTNAME.test(value) && !NUMERIC_LABEL.test(value);
}
const address = z.string().refine(isAddress, { message: 'expected an IP address or a DNS name' });

/** Host names the edge routes; a leading `*.` matches any one or more labels in front. */
const HTTP_HOST =
  /^(\*\.)?(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
export const routeHost = z
  .string()
  .transform((value) => value.toLowerCase().replace(/\.$/, ''))
  .refine((value) => HTTP_HOST.test(value), { message: 'expected a host name such as web.example.com' });

export const pathPrefix = z
  .string()
  .max(1024)
  .refine((value) => /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value), {
    message: 'expected a path starting with / without spaces, query or fragment',
  });

const isoTime = z.string().max(64);

/**
 * How a route is served over HTTPS, on endpoint routes (`wharf.tls`, `wharf.http.redirect`,
 * `wharf.http.hsts`) and operator routes alike. Absent means the default: no automatic
 * certificate, no redirect, no HSTS.
 */
export const routeTlsFields = {
  /** `auto`: the edge obtains a certificate for the host over ACME. */
  tls: z.enum(['auto', 'off']).optional(),
  /** `https`: the plain listener answers 308 to the same URL over HTTPS (ACME HTTP-01 paths excepted). */
  redirect: z.literal('https').optional(),
  /** `Strict-Transport-Security: max-age=<seconds>` on responses over HTTPS. */
  hsts: z.number().int().min(0).max(63_072_000).optional(),
};

export const httpRouteSchema = z.object({
  host: routeHost,
  pathPrefix: pathPrefix.default('/'),
  ...routeTlsFields,
});

export const endpointRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  service: name('service name'),
  id: name('instance id'),
  address,
  port: z.number().int().min(1).max(65_535),
  protocol: z.enum(['http', 'tcp', 'udp']).default('http'),
  node: z.string().max(253),
  bridge: z.string().max(253),
  container: z
    .object({ id: z.string().max(128), name: z.string().max(253), image: z.string().max(512) })
    .optional(),
  tags: z.array(z.string().max(256)).max(64).default([]),
  weight: z.number().int().min(0).max(10_000).default(1),
  routes: z.array(httpRouteSchema).max(64).default([]),
  state: z.enum(['serving', 'draining']),
  health: z.object({ check: z.string().max(512), status: z.string().max(32), since: isoTime }).optional(),
  registeredAt: isoTime,
});

export const bridgeRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  node: z.string().max(253),
  mode: z.enum(['sidecar', 'host']),
  target: z.string().max(253).nullable().optional(),
  version: z.string().max(64),
  startedAt: isoTime,
});

export const routeRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  host: routeHost,
  pathPrefix: pathPrefix.default('/'),
  service: name('service name'),
  ...routeTlsFields,
});

/** An operator's drain of one instance (`wharf drain`); the bridge keeps it draining until removed. */
export const drainRecordSchema = z.object({
  v: z.literal(RECORD_VERSION),
  service: name('service name'),
  reason: z.string().max(512).optional(),
  at: isoTime,
});

export type EndpointRecord = z.infer<typeof endpointRecordSchema>;
export type BridgeRecord = z.infer<typeof bridgeRecordSchema>;
export type RouteRecord = z.infer<typeof routeRecordSchema>;
export type DrainRecord = z.infer<typeof drainRecordSchema>;
export type HttpRoute = z.infer<typeof httpRouteSchema>;
export type EndpointState = EndpointRecord['state'];

export type DecodeResult<T> = { ok: true; record: T } | { ok: false; error: WharfError };

/** Decodes a versioned JSON record with `schema`; the value's size, shape and `v` are checked first. */
export function decodeRecord<T>(schema: z.ZodType<T>, raw: string | Buffer): DecodeResult<T> {
  if (raw.length > MAX_RECORD_BYTES) {
    return {
      ok: false,
      error: new InvalidRecordError(`value is ${raw.length} bytes; the limit is ${MAX_RECORD_BYTES}`),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch (cause) {
    return { ok: false, error: new InvalidRecordError('value is not JSON', { cause }) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new InvalidRecordError('value is not a JSON object') };
  }
  const version = (value as { v?: unknown }).v;
  if (version !== RECORD_VERSION) return { ok: false, error: new UnknownVersionError(version) };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'record';
    return { ok: false, error: new InvalidRecordError(`${where}: ${issue?.message ?? 'invalid'}`) };
  }
  return { ok: true, record: parsed.data };
}

export const decodeEndpointRecord = (raw: string | Buffer) => decodeRecord(endpointRecordSchema, raw);
export const decodeBridgeRecord = (raw: string | Buffer) => decodeRecord(bridgeRecordSchema, raw);
export const decodeRouteRecord = (raw: string | Buffer) => decodeRecord(routeRecordSchema, raw);
export const decodeDrainRecord = (raw: string | Buffer) => decodeRecord(drainRecordSchema, raw);

/**
 * Serialises a record with a fixed key order, so that the same content always gives the same
 * bytes and "write only when changed" can compare strings.
 */
export function encodeRecord(record: object): string {
  return JSON.stringify(record);
}
