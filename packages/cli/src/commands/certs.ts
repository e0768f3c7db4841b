import {
  type AcmeLockRecord,
  type AcmeStatusRecord,
  type CertificateRecord,
  decodeRegistryEntry,
  type KeyLayout,
  listPrefix,
} from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import type { RawKeyValue } from '../registry-snapshot.js';
import { compare } from '../registry-snapshot.js';
import { formatSpan } from '../render/format.js';
import type { Palette } from '../render/palette.js';
import { renderTable } from '../render/table.js';

/** One certificate (or one that is being obtained) as `wharf certs` shows it. */
export interface CertificateView {
  readonly name: string;
  readonly key: string | undefined;
  readonly domains: readonly string[];
  readonly source: string | undefined;
  readonly notBefore: string | undefined;
  readonly notAfter: string | undefined;
  /** `valid`, `renewal due`, `expired`, `issuing`, `failing` or `pending`. */
  readonly status: string;
  /** Whether the private key is sealed (`WHARF_TLS_KEY_FILE`) in etcd. */
  readonly sealed: boolean;
  readonly issuingBy: string | undefined;
  readonly failures: number;
  readonly lastError: string | undefined;
  readonly nextAttemptAt: string | undefined;
}

export interface CertificateListing {
  readonly certificates: readonly CertificateView[];
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

/** When an ACME certificate is due for renewal: a third of its lifetime left (as the edges renew). */
export type RenewalTime = (notBefore: number, notAfter: number) => number;

/**
 * Certificates under `<prefix>/certs/`, joined with the ACME issuers' locks and status (who is
 * issuing, failures and the next attempt), including hosts whose first certificate is still
 * being obtained. Pure.
 */
export function buildCertificateView(
  kvs: readonly RawKeyValue[],
  layout: KeyLayout,
  now: number,
  renewalTime: RenewalTime,
): CertificateListing {
  const records = new Map<string, { key: string; record: CertificateRecord }>();
  const locks = new Map<string, AcmeLockRecord>();
  const statuses = new Map<string, AcmeStatusRecord>();
  const skipped: { key: string; reason: string }[] = [];
  for (const kv of kvs) {
    const decoded = decodeRegistryEntry(layout, kv.key.toString(), kv.value);
    if (!decoded.ok) {
      skipped.push({ key: decoded.rejected.key, reason: decoded.rejected.reason });
      continue;
    }
    const { entry } = decoded;
    if (entry.kind === 'certificate') {
      records.set(entry.parsed.name, { key: entry.key, record: entry.record });
    } else if (entry.kind === 'acme' && entry.parsed.section === 'locks') {
      locks.set(entry.parsed.name, entry.record as AcmeLockRecord);
    } else if (entry.kind === 'acme' && entry.parsed.section === 'status') {
      statuses.set(entry.parsed.name, entry.record as AcmeStatusRecord);
    }
  }
  const names = new Set([...records.keys(), ...locks.keys(), ...statuses.keys()]);
  const certificates = [...names].sort(compare).map((name): CertificateView => {
    const entry = records.get(name);
    const record = entry?.record;
    const lock = locks.get(name);
    const status = statuses.get(name);
    const failing = status !== undefined && status.failures > 0;
    return {
      name,
      key: entry?.key,
      domains: record?.domains ?? [name],
      source: record?.source ?? (status || lock ? 'acme' : undefined),
      notBefore: record?.notBefore,
      notAfter: record?.notAfter,
      status: lock
        ? 'issuing'
        : failing
          ? 'failing'
          : record
            ? lifetimeStatus(record, now, renewalTime)
            : 'pending',
      sealed: record !== undefined && typeof record.key !== 'string',
      issuingBy: lock?.holder,
      failures: status?.failures ?? 0,
      lastError: failing ? status?.lastError : undefined,
      nextAttemptAt: failing ? status?.nextAttemptAt : undefined,
    };
  });
  return { certificates, skipped };
}

function lifetimeStatus(record: CertificateRecord, now: number, renewalTime: RenewalTime): string {
  const notBefore = Date.parse(record.notBefore);
  const notAfter = Date.parse(record.notAfter);
  if (now >= notAfter) return 'expired';
  if (record.source === 'acme' && now >= renewalTime(notBefore, notAfter)) return 'renewal due';
  return 'valid';
}

/** `wharf certs`: the certificates the edges serve from etcd, with their issuance status. */
export async function certsCommand(context: CommandContext): Promise<void> {
  const { layout } = context.config;
  const kvs = await etcdCall(context.config.etcd, 'list certificates', async () => [
    ...(await listPrefix(context.client, layout.certs)).kvs,
    ...(await listPrefix(context.client, layout.acme)).kvs,
  ]);
  // Loaded here, not at start: the edge's modules cost the other commands start-up time.
  const { renewalTime } = await import('@wharf/edge');
  const listing = buildCertificateView(kvs, layout, context.now(), renewalTime);
  for (const { key, reason } of listing.skipped) context.warn(`skipping ${key}: ${reason}`);
  context.write(
    context.json
      ? `${JSON.stringify(listing.certificates, null, 2)}\n`
      : renderCertificates(listing.certificates, context.palette, context.now()),
  );
}

export function renderCertificates(
  certificates: readonly CertificateView[],
  palette: Palette,
  now: number,
): string {
  if (certificates.length === 0) return 'no certificates in etcd\n';
  const rows = certificates.map((certificate) => [
    certificate.name,
    certificate.domains.join('\n'),
    certificate.source ?? '-',
    certificate.notAfter
      ? `${certificate.notAfter.replace(/\.\d+Z$/, 'Z')} (${formatRemaining(certificate.notAfter, now)})`
      : '-',
    formatStatus(certificate, palette),
  ]);
  return renderTable(['NAME', 'DOMAINS', 'SOURCE', 'NOT AFTER', 'STATUS'], rows, palette);
}

function formatStatus(certificate: CertificateView, palette: Palette): string {
  switch (certificate.status) {
    case 'valid':
      return palette.green('valid');
    case 'issuing':
      return palette.cyan(`issuing (${certificate.issuingBy ?? 'an edge'})`);
    case 'failing':
      return palette.red(
        `failing: ${certificate.failures} attempt${certificate.failures === 1 ? '' : 's'}, next ${certificate.nextAttemptAt ?? '-'}` +
          (certificate.lastError ? `\n${certificate.lastError.slice(0, 120)}` : ''),
      );
    case 'expired':
      return palette.red('expired');
    default:
      return palette.yellow(certificate.status);
  }
}

/** `in 12d`, `in 5h`, `3m ago`. */
function formatRemaining(notAfter: string, now: number): string {
  const remaining = Date.parse(notAfter) - now;
  return remaining >= 0 ? `in ${formatSpan(remaining)}` : `${formatSpan(-remaining)} ago`;
}
