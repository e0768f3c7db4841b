import type { NetworkInterfaceInfo } from 'node:os';

// Docker's own bridges and veth pairs are never the address other hosts reach this one on.
const DOCKER_INTERFACE = /^(docker\d*|br-[0-9a-f]+|veth.*|cni\d*|flannel.*|cali.*)$/;

/**
 * The address published with host ports when WHARF_HOST_IP is unset: the first non-internal
 * IPv4 address on an interface that is not one of Docker's, then any non-internal IPv6 one,
 * else 127.0.0.1. Pure over `os.networkInterfaces()`.
 */
export function detectHostIp(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const candidates: NetworkInterfaceInfo[] = [];
  for (const name of Object.keys(interfaces)) {
    if (DOCKER_INTERFACE.test(name)) continue;
    for (const address of interfaces[name] ?? []) if (!address.internal) candidates.push(address);
  }
  const v4 = candidates.find((address) => address.family === 'IPv4');
  const v6 = candidates.find((address) => address.family === 'IPv6' && !address.address.startsWith('fe80:'));
  return v4?.address ?? v6?.address ?? '127.0.0.1';
}
