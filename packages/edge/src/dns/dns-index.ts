import { isIP } from 'node:net';
import type { EndpointRecord, RegistryChange } from '@wharf/core';
import { isServing } from '@wharf/core';
import { addressLabel, tagLabel } from './dns-labels.js';

/** One endpoint as DNS answers it. */
export interface DnsEndpoint {
  readonly instanceId: string;
  readonly address: string;
  /** 4 or 6 for an IP literal, 0 for a host name (SRV only: it cannot be an A record). */
  readonly family: 0 | 4 | 6;
  readonly port: number;
  readonly weight: number;
  readonly udp: boolean;
  /** The first label of its SRV target (`<hex>.addr.<domain>`); undefined for a host name. */
  readonly addressLabel: string | undefined;
  readonly tagLabels: readonly string[];
  /** From a `zone=<zone>` tag. */
  readonly zone: string | undefined;
  readonly state: EndpointRecord['state'];
}

/** The serving endpoints of a name, and their distinct addresses per family (each once). */
export interface EndpointSet {
  readonly endpoints: readonly DnsEndpoint[];
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/** What a name below the domain is. */
export type DnsName =
  | { readonly kind: 'missing' }
  /** It exists (an empty non-terminal such as `_tcp`) but holds no records. */
  | { readonly kind: 'empty' }
  | { readonly kind: 'apex' }
  /** `<service>`, `<tag>.<service>` (A, AAAA, SRV) or `_<service>._tcp` / `_udp` (SRV only). */
  | { readonly kind: 'service'; readonly set: EndpointSet; readonly srvOnly: boolean }
  /** `<hex>.addr`: an SRV target. */
  | { readonly kind: 'address'; readonly address: string; readonly family: 4 | 6 };

export interface DnsIndexBatch {
  readonly revision: number;
  readonly changes: readonly RegistryChange[];
}

const ZONE_TAG = 'zone=';
const EMPTY_SET: EndpointSet = Object.freeze({ endpoints: [], ipv4: [], ipv6: [] });

/** The endpoints of one service name, as DNS folds it (lowercase). */
class ServiceEntry {
  readonly endpoints = new Map<string, DnsEndpoint>();
  /** Tag label → endpoints carrying it (any state): the names `<tag>.<service>` that exist. */
  readonly tagCounts = new Map<string, number>();
  #serving: EndpointSet | undefined;

  add(key: string, endpoint: DnsEndpoint): void {
    this.endpoints.set(key, endpoint);
    for (const label of endpoint.tagLabels) this.tagCounts.set(label, (this.tagCounts.get(label) ?? 0) + 1);
    this.invalidate();
  }

  remove(key: string): void {
    const endpoint = this.endpoints.get(key);
    if (!endpoint) return;
    this.endpoints.delete(key);
    for (const label of endpoint.tagLabels) {
      const count = (this.tagCounts.get(label) ?? 1) - 1;
      if (count === 0) this.tagCounts.delete(label);
      else this.tagCounts.set(label, count);
    }
    this.invalidate();
  }

  invalidate(): void {
    this.#serving = undefined;
  }

  /** Serving endpoints with a weight above 0 (what the edge balances over), by instance id. */
  serving(drained: ReadonlySet<string>): EndpointSet {
    this.#serving ??= endpointSet(
      [...this.endpoints.values()]
        .filter((endpoint) => isServing(endpoint, drained.has(endpoint.instanceId)) && endpoint.weight > 0)
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0)),
    );
    return this.#serving;
  }
}

function endpointSet(endpoints: readonly DnsEndpoint[]): EndpointSet {
  if (endpoints.length === 0) return EMPTY_SET;
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  for (const endpoint of endpoints) {
    if (endpoint.family === 4) ipv4.add(endpoint.address);
    else if (endpoint.family === 6) ipv6.add(endpoint.address);
  }
  return { endpoints, ipv4: [...ipv4], ipv6: [...ipv6] };
}

/**
 * The registry as DNS sees it, kept by the edge's own watch: each batch of changes updates only
 * the services it names (their answers are recomputed lazily, on the next query for them), so a
 * change costs the same with 10 or 10,000 endpoints. Names are folded to lowercase, as DNS
 * compares them. Pure: no sockets, no timers.
 */
export class DnsIndex {
  readonly #services = new Map<string, ServiceEntry>();
  /** Endpoint key → the folded service name it is filed under. */
  readonly #serviceOfKey = new Map<string, string>();
  /** Instance id → folded service names holding it, so an operator drain finds its entries. */
  readonly #servicesOfInstance = new Map<string, Map<string, number>>();
  readonly #drained = new Set<string>();
  /** Proper suffixes of dotted service names (`b.c` for `a.b.c`): names that exist, empty. */
  readonly #suffixes = new Map<string, number>();
  /** Address label → the address and how many endpoints use it (any state). */
  readonly #addresses = new Map<string, { address: string; family: 4 | 6; count: number }>();
  #revision = 0;
  #synced = false;
  #generation = 0;

  /** Grows with every batch applied: answers computed before it changed may be stale. */
  get generation(): number {
    return this.#generation;
  }

  /** The etcd revision of the last batch (the SOA serial). */
  get revision(): number {
    return this.#revision;
  }

  /** True once a batch has been applied: before that every name would look missing. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Folded service names known. */
  get size(): number {
    return this.#services.size;
  }

  apply(batch: DnsIndexBatch): void {
    for (const change of batch.changes) {
      if (change.kind === 'endpoint') {
        this.#removeEndpoint(change.key);
        if (change.current) this.#addEndpoint(change.key, change.current);
      } else if (change.kind === 'drain') {
        const instanceId = change.parsed.instanceId;
        if (change.current) this.#drained.add(instanceId);
        else this.#drained.delete(instanceId);
        for (const service of this.#servicesOfInstance.get(instanceId)?.keys() ?? [])
          this.#services.get(service)?.invalidate();
      }
    }
    this.#revision = Math.max(this.#revision, batch.revision);
    this.#synced = true;
    this.#generation += 1;
  }

  /** What `labels` (lowercase, below the domain, left to right) name. */
  lookup(labels: readonly string[]): DnsName {
    if (labels.length === 0) return { kind: 'apex' };
    const first = labels[0] as string;
    const last = labels[labels.length - 1] as string;
    if (labels.length === 2 && last === 'addr') {
      const known = this.#addresses.get(first);
      if (known) return { kind: 'address', address: known.address, family: known.family };
    }
    if (labels.length >= 2 && first.startsWith('_') && (last === '_tcp' || last === '_udp')) {
      const entry = this.#services.get(labels.slice(0, -1).join('.').slice(1));
      if (entry) {
        const udp = last === '_udp';
        const serving = entry.serving(this.#drained).endpoints;
        const set = endpointSet(serving.filter((endpoint) => endpoint.udp === udp));
        return { kind: 'service', set, srvOnly: true };
      }
    }
    const name = labels.join('.');
    const entry = this.#services.get(name);
    if (entry) return { kind: 'service', set: entry.serving(this.#drained), srvOnly: false };
    if (labels.length >= 2) {
      const tagged = this.#services.get(labels.slice(1).join('.'));
      if (tagged?.tagCounts.has(first)) {
        const serving = tagged.serving(this.#drained).endpoints;
        const set = endpointSet(serving.filter((endpoint) => endpoint.tagLabels.includes(first)));
        return { kind: 'service', set, srvOnly: false };
      }
    }
    if (this.#suffixes.has(name)) return { kind: 'empty' };
    if ((name === '_tcp' || name === '_udp') && this.#services.size > 0) return { kind: 'empty' };
    if (name === 'addr' && this.#addresses.size > 0) return { kind: 'empty' };
    return { kind: 'missing' };
  }

  #addEndpoint(key: string, record: EndpointRecord): void {
    const service = record.service.toLowerCase();
    const label = addressLabel(record.address);
    const family = isIP(record.address) as 0 | 4 | 6;
    const tagLabels = new Set<string>();
    for (const tag of record.tags) {
      const tagged = tagLabel(tag);
      if (tagged !== undefined) tagLabels.add(tagged);
    }
    const zoneTag = record.tags.find((tag) => tag.startsWith(ZONE_TAG));
    const endpoint: DnsEndpoint = {
      instanceId: record.id,
      address: record.address,
      family,
      port: record.port,
      weight: record.weight,
      udp: record.protocol === 'udp',
      addressLabel: label,
      tagLabels: [...tagLabels],
      zone: zoneTag?.slice(ZONE_TAG.length),
      state: record.state,
    };
    let entry = this.#services.get(service);
    if (!entry) {
      entry = new ServiceEntry();
      this.#services.set(service, entry);
      this.#countSuffixes(service, 1);
    }
    entry.add(key, endpoint);
    this.#serviceOfKey.set(key, service);
    const services = this.#servicesOfInstance.get(record.id) ?? new Map<string, number>();
    services.set(service, (services.get(service) ?? 0) + 1);
    this.#servicesOfInstance.set(record.id, services);
    if (label !== undefined && family !== 0) {
      const known = this.#addresses.get(label);
      if (known) known.count += 1;
      else this.#addresses.set(label, { address: record.address, family, count: 1 });
    }
  }

  #removeEndpoint(key: string): void {
    const service = this.#serviceOfKey.get(key);
    if (service === undefined) return;
    this.#serviceOfKey.delete(key);
    const entry = this.#services.get(service);
    const endpoint = entry?.endpoints.get(key);
    if (!entry || !endpoint) return;
    entry.remove(key);
    if (entry.endpoints.size === 0) {
      this.#services.delete(service);
      this.#countSuffixes(service, -1);
    }
    const services = this.#servicesOfInstance.get(endpoint.instanceId);
    const remaining = (services?.get(service) ?? 1) - 1;
    if (remaining > 0) services?.set(service, remaining);
    else services?.delete(service);
    if (services?.size === 0) this.#servicesOfInstance.delete(endpoint.instanceId);
    if (endpoint.addressLabel !== undefined) {
      const known = this.#addresses.get(endpoint.addressLabel);
      if (known && --known.count === 0) this.#addresses.delete(endpoint.addressLabel);
    }
  }

  #countSuffixes(service: string, delta: 1 | -1): void {
    let dot = service.indexOf('.');
    while (dot >= 0) {
      const suffix = service.slice(dot + 1);
      const count = (this.#suffixes.get(suffix) ?? 0) + delta;
      if (count === 0) this.#suffixes.delete(suffix);
      else this.#suffixes.set(suffix, count);
      dot = service.indexOf('.', dot + 1);
    }
  }
}
