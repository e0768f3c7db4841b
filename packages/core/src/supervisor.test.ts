import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';
import { ConfigError } from './errors.js';
import { silentLogger } from './logger.js';
import { Supervisor } from './supervisor.js';

/** A supervisor whose waits take no time and are recorded. */
function supervise<T>(task: ConstructorParameters<typeof Supervisor<T>>[0]['task'], extra = {}) {
  const delays: number[] = [];
  const supervisor = new Supervisor<T>({
    task,
    logger: silentLogger,
    message: 'interrupted',
    backoff: new Backoff({ initialMs: 100, maxMs: 400, random: () => 0.999999 }),
    wait: async (ms) => {
      delays.push(ms);
    },
    ...extra,
  });
  return { supervisor, delays };
}

describe('Supervisor', () => {
  it('starts a failing task over with growing, capped delays and returns its result', async () => {
    const { supervisor, delays } = supervise(async ({ attempt }) => {
      if (attempt < 5) throw new Error(`failure ${attempt}`);
      return attempt;
    });
    expect(await supervisor.run(new AbortController().signal)).toBe(5);
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(supervisor.restarts).toBe(4);
  });

  it('backs off from the first delay again after a run that got healthy', async () => {
    const { supervisor, delays } = supervise(async ({ attempt, healthy }) => {
      if (attempt === 3) healthy();
      if (attempt < 5) throw new Error('lost');
      return 'done';
    });
    await supervisor.run(new AbortController().signal);
    expect(delays).toEqual([100, 200, 100, 200]);
  });

  it('stops at an abort: no restart, no delay, and resolves undefined', async () => {
    const controller = new AbortController();
    const { supervisor, delays } = supervise(async ({ signal }) => {
      controller.abort();
      // A task ends when its signal aborts; a late failure of its cleanup is not a restart.
      expect(signal.aborted).toBe(true);
      throw new Error('closed while stopping');
    });
    expect(await supervisor.run(controller.signal)).toBeUndefined();
    expect(delays).toEqual([]);
    expect(supervisor.restarts).toBe(0);
  });

  it('gives up on failures no retry can fix', async () => {
    const failures: unknown[] = [];
    const { supervisor } = supervise(
      async () => {
        throw new ConfigError('WHARF_NODE', 'a b', 'a valid node name');
      },
      {
        isFatal: (error: unknown) => error instanceof ConfigError,
        onFailure: (error: unknown) => failures.push(error),
      },
    );
    await expect(supervisor.run(new AbortController().signal)).rejects.toMatchObject({
      code: 'WHARF_CONFIG_INVALID',
    });
    expect(failures).toEqual([]);
  });

  it('logs each restart once with the delay and the error code', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
    } as never;
    const { supervisor } = supervise(
      async ({ attempt }) => {
        if (attempt === 1) throw new ConfigError('X', 'y', 'z');
      },
      { logger, message: (error: unknown) => `stopped: ${(error as Error).name}` },
    );
    await supervisor.run(new AbortController().signal);
    expect(lines).toEqual([
      {
        message: 'stopped: ConfigError',
        fields: expect.objectContaining({ code: 'WHARF_CONFIG_INVALID', delayMs: 100, attempt: 1 }),
      },
    ]);
  });
});
