import { silentLogger } from '@wharf/core';
import { describe, expect, it, vi } from 'vitest';
import type { CheckSpec } from './check-spec.js';
import { HealthChecker, type HealthStatus } from './health-checker.js';

function checker(kind: CheckSpec['kind'], rise: number, fall: number) {
  const changes: HealthStatus[] = [];
  let clock = 0;
  const instance = new HealthChecker({
    address: '127.0.0.1',
    port: 1,
    check: { kind, intervalMs: 1_000, timeoutMs: 500, rise, fall, description: kind },
    logger: silentLogger,
    onChange: (status) => changes.push(status),
    now: () => new Date(clock++ * 1_000),
  });
  return { instance, changes };
}

describe('HealthChecker rise/fall', () => {
  it('rise: passing only after `rise` consecutive passes', () => {
    const { instance, changes } = checker('http', 3, 2);
    instance.record(true);
    instance.record(true);
    expect(instance.status).toBe('unknown');
    instance.record(false);
    expect(instance.status).toBe('failing');
    instance.record(true);
    instance.record(true);
    expect(instance.status).toBe('failing');
    instance.record(true);
    expect(instance.status).toBe('passing');
    expect(changes).toEqual(['failing', 'passing']);
  });

  it('fall: failing only after `fall` consecutive failures; a pass resets the count', () => {
    const { instance, changes } = checker('tcp', 1, 2);
    instance.record(true);
    const since = instance.since;
    instance.record(false);
    instance.record(true);
    instance.record(false);
    expect(instance.status).toBe('passing');
    expect(instance.since).toBe(since);
    instance.record(false);
    expect(instance.status).toBe('failing');
    expect(changes).toEqual(['passing', 'failing']);
  });

  it('none passes at once; docker follows the container HEALTHCHECK', () => {
    const running = new AbortController();
    const none = checker('none', 1, 2);
    void none.instance.run(running.signal);
    expect(none.instance.status).toBe('passing');

    const docker = checker('docker', 1, 2);
    void docker.instance.run(running.signal);
    expect(docker.instance.status).toBe('unknown');
    docker.instance.setDockerStatus('starting');
    expect(docker.instance.status).toBe('failing');
    docker.instance.setDockerStatus('healthy');
    expect(docker.instance.status).toBe('passing');
    docker.instance.setDockerStatus('healthy');
    docker.instance.setDockerStatus('unhealthy');
    expect(docker.changes).toEqual(['failing', 'passing', 'failing']);
    running.abort();
  });

  it('a stopped checker reports nothing', async () => {
    const { instance, changes } = checker('http', 1, 1);
    await instance.run(AbortSignal.abort());
    instance.record(true);
    expect(changes).toEqual([]);
  });
});

describe('HealthChecker.run', () => {
  it('does nothing once stopped, so a replaced checker never reports', async () => {
    const { instance, changes } = checker('none', 1, 1);
    await instance.run(AbortSignal.abort());
    expect(changes).toEqual([]);
    expect(instance.status).toBe('unknown');
  });

  it('probes until stopped, then resolves', async () => {
    const { instance, changes } = checker('tcp', 1, 1);
    const running = new AbortController();
    const done = instance.run(running.signal);
    await vi.waitFor(() => expect(changes).toEqual(['failing']));
    running.abort();
    await done;
    instance.record(true);
    expect(changes).toEqual(['failing']);
  });
});
