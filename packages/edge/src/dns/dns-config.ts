import { ConfigError, type ConfigReader } from '@wharf/core';

export interface DnsConfig {
  /** Where the DNS listener (UDP and TCP on the same port) binds; undefined: no DNS (the default). */
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  /** The domain answered for, lowercase, without the trailing dot (`wharf`). */
  readonly domain: string;
  /** TTL of every answer and of negative answers (the SOA minimum), in seconds. */
  readonly ttlSeconds: number;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** `WHARF_DNS_LISTEN` (off by default), `WHARF_DNS_DOMAIN` (`wharf.`), `WHARF_DNS_TTL` (`5s`). */
export function readDnsConfig(reader: ConfigReader): DnsConfig {
  const listenValue = reader.string('WHARF_DNS_LISTEN');
  const listen =
    listenValue === undefined || listenValue === 'off'
      ? undefined
      : Object.freeze(reader.listenAddress('WHARF_DNS_LISTEN', listenValue));
  const domainValue = reader.string('WHARF_DNS_DOMAIN', 'wharf.');
  const domain = domainValue.toLowerCase().replace(/\.$/, '');
  if (domain.length > 200 || !domain.split('.').every((label) => LABEL.test(label))) {
    throw new ConfigError('WHARF_DNS_DOMAIN', domainValue, 'a domain name such as wharf. or sd.example.com.');
  }
  const ttlMs = reader.duration('WHARF_DNS_TTL', 5_000, { minMs: 0, maxMs: 3_600_000 });
  if (ttlMs % 1_000 !== 0) {
    throw new ConfigError(
      'WHARF_DNS_TTL',
      reader.raw('WHARF_DNS_TTL'),
      'whole seconds (DNS TTLs count seconds)',
    );
  }
  return Object.freeze({ listen, domain, ttlSeconds: ttlMs / 1_000 });
}
