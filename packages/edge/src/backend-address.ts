import { BlockList, isIP } from 'node:net';

// Addresses an endpoint record may not point the edge at: a registry entry naming them is
// either a mistake (0.0.0.0, a multicast group) or an attempt to reach the host's metadata
// service (169.254.169.254) through the proxy.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const NEVER = new BlockList();
NEVER.addAddress('0.0.0.0', 'ipv4');
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addAddress('255.255.255.255', 'ipv4');
NEVER.addSubnet('ff00::', 8, 'ipv6');

/**
 * Why the edge refuses to forward to `address`, or `undefined` when it may. Link-local
 * addresses are allowed only when `allowLinkLocal` is set; unspecified and multicast never.
 * DNS names are allowed: they come from the registry like any address.
 */
export function refuseBackendAddress(address: string, allowLinkLocal: boolean): string | undefined {
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(address, family)) return 'unspecified or multicast address';
  if (!allowLinkLocal && LINK_LOCAL.check(address, family)) {
    return 'link-local address (set WHARF_ALLOW_LINK_LOCAL=true to allow)';
  }
  return undefined;
}
