import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  decodeAcmeChallengeRecord,
  decodeBridgeRecord,
  decodeCertificateRecord,
  decodeDrainRecord,
  decodeEndpointRecord,
  decodeRouteRecord,
  KeyLayout,
  ServiceWatcher,
} from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { putAll } from '../support/etcd-writes.js';
import { type FuzzEntry, hostileEntries } from '../support/record-fuzzer.js';
import { endpointEntry } from '../support/records.js';
import { eventually } from '../support/wait.js';

const SEED = Number(process.env.WHARF_FUZZ_SEED ?? 20_261_123);
const COUNT = 1_200;
const layout = new KeyLayout('/wharf');

const DECODERS = {
  endpoint: decodeEndpointRecord,
  bridge: decodeBridgeRecord,
  route: decodeRouteRecord,
  drain: decodeDrainRecord,
  certificate: decodeCertificateRecord,
  challenge: decodeAcmeChallengeRecord,
} as const;

/** What core alone makes of an entry: refused by the key layout, by a decoder, or accepted. */
function classify(entry: FuzzEntry): 'layout' | 'decoder' | 'accepted' {
  const parsed = layout.parse(entry.key);
  if (!parsed) return 'layout';
  // The ACME issuers' own keys: readers skip them without decoding.
  if (parsed.kind === 'acme') return 'accepted';
  return DECODERS[parsed.kind](entry.value).ok ? 'accepted' : 'decoder';
}

describe(`hostile registry values (seed ${SEED})`, () => {
  const entries = [...hostileEntries({ seed: SEED, count: COUNT, hosts: ['good.test', 'fuzz.test'] })];

  it('is reproducible: the same seed gives the same entries', () => {
    const digest = (list: FuzzEntry[]) => createHash('sha256').update(JSON.stringify(list)).digest('hex');
    const again = [...hostileEntries({ seed: SEED, count: COUNT, hosts: ['good.test', 'fuzz.test'] })];
    expect(digest(again)).toBe(digest(entries));
    const other = [...hostileEntries({ seed: SEED + 1, count: COUNT, hosts: ['good.test', 'fuzz.test'] })];
    expect(digest(other)).not.toBe(digest(entries));
    expect(new Set(entries.map((entry) => entry.key)).size).toBe(COUNT);
    // Every category is represented, so a generator change cannot quietly drop one.
    const categories = new Set(entries.map((entry) => entry.category));
    for (const category of [
      'bad-json',
      'unknown-version',
      'bad-port',
      'wrong-address',
      'missing-field',
      'huge-value',
      'deeply-nested',
      'bad-key',
      'bad-other-record',
      'forbidden-address',
    ]) {
      expect(categories).toContain(category);
    }
  });

  it("core's key layout and decoders refuse every entry they are responsible for, without throwing", () => {
    const wrong: string[] = [];
    for (const entry of entries) {
      const outcome = classify(entry);
      const expected = entry.refusedBy === 'address' ? 'accepted' : entry.refusedBy;
      if (outcome !== expected) wrong.push(`${entry.category} ${JSON.stringify(entry.key)}: ${outcome}`);
    }
    expect(wrong).toEqual([]);
  });

  describe('through a ServiceWatcher on a real etcd', () => {
    let _etcd: EtcdServer;
    let client: Etcd3;

    useEtcd((started) => {
      _etcd = started.etcd;
      client = started.client;
    });

    it('keeps every valid record, drops every malformed one, and warns once per bad key', async () => {
      const warnings: { key: string; msg: string }[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          for (const line of chunk.toString().split('\n')) {
            if (!line) continue;
            const entry = JSON.parse(line);
            if (entry.level === 40 && entry.key !== undefined) warnings.push(entry);
          }
          done();
        },
      });
      const logger = pino({ level: 'warn' }, sink);

      const valid = Array.from({ length: 20 }, (_, index) =>
        endpointEntry(layout, {
          service: 'good',
          id: `good-${index}`,
          port: 10_000 + index,
          routes: [{ host: 'good.test', pathPrefix: '/' }],
        }),
      );
      // Half before the watcher starts (seen by the list), half after (seen by the watch).
      const half = Math.floor(entries.length / 2);
      await putAll(client, [...valid.slice(0, 10), ...entries.slice(0, half)]);

      const controller = new AbortController();
      const watcher = new ServiceWatcher({ client, layout, logger, onUpdate: () => {} });
      const running = watcher.run(controller.signal);
      try {
        await eventually(() => expect(watcher.synced).toBe(true));
        await putAll(client, [...entries.slice(half), ...valid.slice(10)]);

        const accepted = entries.filter((entry) => entry.refusedBy === 'address').map((entry) => entry.key);
        await eventually(
          () => expect(watcher.state.endpoints.size).toBe(valid.length + accepted.length),
          20_000,
        );
        expect([...watcher.state.endpoints.keys()].sort()).toEqual(
          [...valid.map((entry) => entry.key), ...accepted].sort(),
        );
        expect(watcher.state.routes.size).toBe(0);
        expect(watcher.state.bridges.size).toBe(0);
        expect(watcher.state.drains.size).toBe(0);

        const bad = entries.filter((entry) => entry.refusedBy !== 'address');
        await eventually(() => expect(warnings.length).toBeGreaterThanOrEqual(bad.length));
        const perKey = new Map<string, number>();
        for (const warning of warnings) perKey.set(warning.key, (perKey.get(warning.key) ?? 0) + 1);
        expect([...perKey.keys()].sort()).toEqual(bad.map((entry) => entry.key).sort());
        expect([...perKey.values()].every((count) => count === 1)).toBe(true);
      } finally {
        controller.abort();
        await running;
      }
    });
  });
});
