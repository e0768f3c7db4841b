import { isIP } from 'node:net';

/**
 * The DNS label a tag is queried by (`<label>.<service>.<domain>`): lowercased, and every
 * character other than a-z, 0-9 and `-` turned into `-`, so `zone=eu-1a` → `zone-eu-1a` and
 * `Primary` → `primary`. Two tags with the same label are the same filter. A tag whose label
 * would be empty or longer than 63 characters cannot be queried (undefined).
 */
export function tagLabel(tag: string): string | undefined {
  if (tag.length === 0 || tag.length > 63) return undefined;
  return tag.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

/**
 * The first label of an SRV target for an IP address: its bytes in hex (`10.0.0.5` →
 * `0a000005`, IPv6 → 32 digits), answered as `<label>.addr.<domain>` — as Consul names
 * address targets. An IP literal cannot be an SRV target itself. Undefined for host names.
 */
export function addressLabel(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return ipv4Hex(address);
  if (family === 6) return ipv6Hex(address);
  return undefined;
}

function ipv4Hex(address: string): string {
  return address
    .split('.')
    .map((part) => Number(part).toString(16).padStart(2, '0'))
    .join('');
}

function ipv6Hex(address: string): string {
  let text = address.replace(/%.*$/, '').toLowerCase();
  // An embedded IPv4 tail (`::ffff:10.0.0.5`) is two more groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1]) {
    const hex = ipv4Hex(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${hex.slice(0, 4)}:${hex.slice(4)}`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = groups(rest);
  const zeros = rest === undefined ? [] : Array(8 - before.length - after.length).fill('0');
  return [...before, ...zeros, ...after].map((group) => group.padStart(4, '0')).join('');
}
