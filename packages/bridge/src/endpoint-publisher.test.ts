import type { EndpointRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { ContainerFacts } from './container-facts.js';
import { deriveEndpoints } from './endpoint-derivation.js';
import { EndpointPublisher } from './endpoint-publisher.js';
import type { EndpointName } from './registry-writer.js';

const facts: ContainerFacts = {
  id: 'c'.repeat(64),
  name: 'web-1',
  image: 'acme/web:1.4',
  labels: {},
  env: [],
  running: true,
  ports: [{ privatePort: 8080, protocol: 'tcp', bindings: [{ hostIp: '', hostPort: 32768 }] }],
  networks: [],
  health: undefined,
};
const context = {
  node: 'h1',
  hostIp: '10.0.0.5',
  hostIpExplicit: false,
  internal: false,
  network: undefined,
  explicit: false,
  overrides: {},
};

function publisher() {
  const calls: (['register', EndpointRecord] | ['deregister' | 'hold', EndpointName])[] = [];
  const drained = new Set<string>();
  let clock = 0;
  const instance = new EndpointPublisher({
    writer: {
      register: (record) => calls.push(['register', record]),
      deregister: (name) => calls.push(['deregister', name]),
      hold: (name) => calls.push(['hold', name]),
    },
    node: 'h1',
    bridgeId: 'h1-bridge',
    drained: (id) => drained.has(id),
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)),
  });
  return { instance, calls, drained };
}

describe('EndpointPublisher', () => {
  const [desired] = deriveEndpoints(facts, context).endpoints;
  if (!desired) throw new Error('no endpoint');
  const update = (health: 'unknown' | 'passing' | 'failing', stopping = false) => ({
    desired,
    health,
    healthSince: '2026-01-01T00:00:00.000Z',
    stopping,
  });

  it('holds an unchecked endpoint, registers a passing one with a fixed registration time, withdraws a failing one', () => {
    const { instance, calls } = publisher();
    instance.update(update('unknown'));
    instance.update(update('passing'));
    instance.update(update('passing'));
    instance.update(update('failing'));
    const name = { service: 'web', id: 'h1:web-1:8080' };
    expect(calls.map(([call]) => call)).toEqual(['hold', 'register', 'register', 'deregister']);
    expect(calls[0]?.[1]).toEqual(name);
    const [first, second] = [calls[1]?.[1], calls[2]?.[1]] as EndpointRecord[];
    expect(first).toMatchObject({
      state: 'serving',
      bridge: 'h1-bridge',
      registeredAt: '2026-01-01T00:00:00.000Z',
    });
    expect(second?.registeredAt).toBe(first?.registeredAt);
  });

  it('decides the state through isServing: a stopping container or an operator drain is draining', () => {
    const { instance, calls, drained } = publisher();
    instance.update(update('passing', true));
    drained.add('h1:web-1:8080');
    instance.update(update('passing'));
    drained.delete('h1:web-1:8080');
    instance.drainChanged('h1:web-1:8080');
    expect(calls.map(([, record]) => (record as EndpointRecord).state)).toEqual([
      'draining',
      'draining',
      'serving',
    ]);
  });
});
