import { formatHostPort } from './host-port.js';
import type { EndpointRecord } from './records.js';

/**
 * The environment variable that carries a service's serving set to an app — to update commands
 * (`wharf.on-change`) and to the command `wharf wait … -- <command>` starts:
 * `WHARF_<SERVICE>_ADDRS`, the service name uppercased with every character other than A-Z and
 * 0-9 turned into `_` (`db` → `WHARF_DB_ADDRS`, `my-db.eu` → `WHARF_MY_DB_EU_ADDRS`). Two
 * services that map to the same variable (`my-db`, `my.db`) cannot be required together.
 */
export function addressesVariable(service: string): string {
  return `WHARF_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_ADDRS`;
}

/** The value: `address:port` of each endpoint, comma-separated (`10.0.0.5:32768,[fd00::6]:80`). */
export function formatAddresses(endpoints: readonly Pick<EndpointRecord, 'address' | 'port'>[]): string {
  return endpoints.map((endpoint) => formatHostPort(endpoint.address, endpoint.port)).join(',');
}

/** The first pair of services in `services` that map to one variable, if any. */
export function clashingServices(services: readonly string[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const service of services) {
    const variable = addressesVariable(service);
    const other = seen.get(variable);
    if (other !== undefined && other !== service) return [other, service];
    seen.set(variable, service);
  }
  return undefined;
}
