import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { WharfError } from '@wharf/core';

// Addresses an endpoint record may not point the edge at: a registry entry naming them is
// either a mistake (0.0.0.0, a multicast group) or an attempt to reach the host's metadata
// service (169.254.169.254, AWS's fd00:ec2::254) through the proxy.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');

const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addAddress('255.255.255.255', 'ipv4');
NEVER.addSubnet('ff00::', 8, 'ipv6');

// What the C resolver (inet_aton) reads as an IPv4 address although it is not a dotted quad:
// `2852039166`, `0xa9fea9fe`, `169.254.43518`, `0251.0376.0251.0376` all mean 169.254.169.254.
const NUMERIC_NAME = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?$/i;

const LINK_LOCAL_REASON = 'link-local or metadata address (set WHARF_ALLOW_LINK_LOCAL=true to allow)';

/**
 * Why the edge refuses to forward to `address`, or `undefined` when it may. Link-local and
 * metadata addresses are allowed only when `allowLinkLocal` is set; unspecified and multicast
 * never. IPv4-mapped IPv6 addresses are judged by their IPv4 part (BlockList does that). DNS
 * names are allowed — they come from the registry like any address, and `backendLookup` checks
 * what they resolve to — except names made of numbers, which the resolver turns into an IPv4
 * address in a spelling these checks would not recognise.
 */
export function refuseBackendAddress(address: string, allowLinkLocal: boolean): string | undefined {
  const version = isIP(address);
  if (version === 0) {
    return NUMERIC_NAME.test(address) ? 'numeric host name (write IPv4 addresses as a.b.c.d)' : undefined;
  }
  return refuseResolved(address, version === 4 ? 'ipv4' : 'ipv6', allowLinkLocal);
}

/** Why the edge refuses to connect to `address`, an IP a backend's DNS name resolved to. */
export function refuseResolved(
  address: string,
  family: 'ipv4' | 'ipv6',
  allowLinkLocal: boolean,
): string | undefined {
  // IPv4 by its leading octets: BlockList.check builds a SocketAddress per call, which made
  // these checks a visible share of a cold sync of 10,000 endpoints.
  if (family === 'ipv4') return refuseIpv4(address, allowLinkLocal);
  if (NEVER.check(address, family)) return 'unspecified or multicast address';
  if (!allowLinkLocal && LINK_LOCAL.check(address, family)) return LINK_LOCAL_REASON;
  return undefined;
}

/**
 * `refuseBackendAddress` with its answers remembered: the builder asks once per endpoint record,
 * and many records share an address (one host, many ports). Bounded so that years of churn in
 * the registry cannot grow it without limit.
 */
export class BackendAddressCheck {
  readonly #allowLinkLocal: boolean;
  readonly #cache = new Map<string, string | undefined>();
  readonly #maxEntries: number;

  constructor(allowLinkLocal: boolean, maxEntries = 100_000) {
    this.#allowLinkLocal = allowLinkLocal;
    this.#maxEntries = maxEntries;
  }

  refuse(address: string): string | undefined {
    const cached = this.#cache.get(address);
    if (cached !== undefined || this.#cache.has(address)) return cached;
    const reason = refuseBackendAddress(address, this.#allowLinkLocal);
    if (this.#cache.size >= this.#maxEntries) this.#cache.clear();
    this.#cache.set(address, reason);
    return reason;
  }
}

// `address` is a valid dotted quad (net.isIP said 4); the ranges are NEVER's and LINK_LOCAL's.
function refuseIpv4(address: string, allowLinkLocal: boolean): string | undefined {
  const firstDot = address.indexOf('.');
  const first = Number(address.slice(0, firstDot));
  if (first === 0 || (first >= 224 && first <= 239) || address === '255.255.255.255') {
    return 'unspecified or multicast address';
  }
  if (!allowLinkLocal && first === 169 && address.startsWith('254.', firstDot + 1)) return LINK_LOCAL_REASON;
  return undefined;
}

/** A DNS name of a backend resolved to an address the edge must not connect to. */
export class ForbiddenBackendAddressError extends WharfError {
  readonly hostname: string;
  readonly address: string;

  constructor(hostname: string, address: string, reason: string) {
    super('WHARF_FORBIDDEN_BACKEND_ADDRESS', `${hostname} resolved to ${address}: ${reason}`);
    this.hostname = hostname;
    this.address = address;
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect` (via an http.Agent) that refuses names resolving to a forbidden
 * address: the registry check sees only the name, the socket connects to whatever the resolver
 * says. Node calls it only for names, never for IP literals, so IP backends pay nothing.
 */
export function backendLookup(
  allowLinkLocal: boolean,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options, (error, address: string | LookupAddress[], family?: number) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const all = typeof address === 'string' ? [{ address, family: family ?? 4 }] : address;
      for (const resolved of all) {
        const reason = refuseResolved(
          resolved.address,
          resolved.family === 6 ? 'ipv6' : 'ipv4',
          allowLinkLocal,
        );
        if (reason !== undefined) {
          callback(new ForbiddenBackendAddressError(hostname, resolved.address, reason), address, family);
          return;
        }
      }
      callback(null, address, family);
    });
  };
}
