import { createEtcdClient, type EndpointRecord, type EtcdClient } from '@wharf/core';

/** Reads and watches what a bridge wrote, as the edge or an operator would. */
export class RegistryProbe {
  readonly client: EtcdClient;

  /** One endpoint, or several members of a cluster. */
  constructor(endpoints: string | readonly string[]) {
    this.client = createEtcdClient({ endpoints: typeof endpoints === 'string' ? [endpoints] : endpoints });
  }

  async record(key: string): Promise<EndpointRecord | undefined> {
    const value = await this.client.get(key).string();
    return value === null ? undefined : (JSON.parse(value) as EndpointRecord);
  }

  /** Every key under `prefix` with its parsed value. */
  async all(prefix = '/wharf/'): Promise<Map<string, Record<string, unknown>>> {
    const values = await this.client.getAll().prefix(prefix).strings();
    return new Map(
      Object.entries(values).map(([key, value]) => [key, JSON.parse(value) as Record<string, unknown>]),
    );
  }

  /** Every key under `prefix` with the lease it lives on (`'0'`: none). */
  async leases(prefix = '/wharf/'): Promise<Map<string, string>> {
    const response = await this.client.getAll().prefix(prefix).exec();
    return new Map(response.kvs.map((kv) => [kv.key.toString(), kv.lease]));
  }

  /**
   * Keys of one service written by one bridge. Host-mode bridges also register containers that
   * other test runs on the same Docker Engine label, so tests always look at their own service.
   */
  async keysOf(bridgeId: string, service: string): Promise<string[]> {
    const all = await this.all(`/wharf/services/${service}/`);
    return [...all].filter(([, value]) => value.bridge === bridgeId).map(([key]) => key);
  }

  /** Records every put (parsed value) and delete (`undefined`) of one key from now on. */
  async history(key: string): Promise<{ events: (EndpointRecord | undefined)[]; stop: () => Promise<void> }> {
    const events: (EndpointRecord | undefined)[] = [];
    const watcher = await this.client.watch().key(key).create();
    watcher.on('put', (kv) => events.push(JSON.parse(kv.value.toString()) as EndpointRecord));
    watcher.on('delete', () => events.push(undefined));
    return { events, stop: () => watcher.cancel() };
  }

  close(): void {
    this.client.close();
  }
}
