import { describe, expect, it } from 'vitest';
import { BackendRegistry } from './backend-registry.js';

describe('BackendRegistry', () => {
  it('keeps one backend per address:port until it is no longer used', () => {
    const registry = new BackendRegistry();
    registry.update(['10.0.0.1:80'], []);
    const backend = registry.peek('10.0.0.1:80')!;
    backend.health.recordFailure(0);
    registry.update(['10.0.0.2:80'], []);
    expect(registry.peek('10.0.0.1:80')).toBe(backend);
    expect(registry.peek('10.0.0.1:80')?.health.consecutiveFailures).toBe(1);
    registry.update([], ['10.0.0.1:80']);
    expect(registry.peek('10.0.0.1:80')).toBeUndefined();
    expect(backend.retired).toBe(true);
    expect(registry.size).toBe(1);
    registry.close();
    expect(registry.size).toBe(0);
  });
});
