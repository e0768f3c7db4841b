import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { aborted } from './abort-signal.js';
import { ConfigError, WharfError } from './errors.js';
import { type ProgramProcess, runProgram } from './program.js';

class FakeProcess extends EventEmitter implements ProgramProcess {
  exitCode: number | undefined;
  forcedExit: number | undefined;
  written = '';
  readonly stderr = {
    write: (text: string) => {
      this.written += text;
    },
  };
  exit(code: number): never {
    this.forcedExit = code;
    throw new Error(`exit ${code}`);
  }
}

describe('runProgram', () => {
  it('stops at a bad configuration with one line and exit code 2, before anything runs', async () => {
    const process = new FakeProcess();
    let ran = false;
    const code = await runProgram({
      name: 'wharf-test',
      process,
      config: () => {
        throw new ConfigError('WHARF_TTL', 'soon', 'a duration');
      },
      main: async () => {
        ran = true;
      },
    });
    expect([code, process.exitCode, ran]).toEqual([2, 2, false]);
    expect(process.written).toBe('wharf-test: WHARF_TTL="soon" is invalid: expected a duration\n');
  });

  it('turns the first SIGTERM into an abort, waits for the cleanup and exits 0', async () => {
    const process = new FakeProcess();
    let reason: unknown;
    const running = runProgram({
      name: 'wharf-test',
      process,
      config: () => ({ ttl: 10 }),
      main: async (config, signal) => {
        expect(config).toEqual({ ttl: 10 });
        await aborted(signal);
        reason = signal.reason;
      },
    });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    expect([process.exitCode, reason, process.forcedExit]).toEqual([0, 'SIGTERM', undefined]);
    expect(process.listenerCount('SIGTERM') + process.listenerCount('SIGINT')).toBe(0);
  });

  it('forces the exit on a second signal during the cleanup', async () => {
    const process = new FakeProcess();
    let release = () => {};
    const cleanup = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = runProgram({
      name: 'wharf-test',
      process,
      config: () => ({}),
      main: async (_config, signal) => {
        await aborted(signal);
        await cleanup;
      },
    });
    process.emit('SIGINT', 'SIGINT');
    expect(() => process.emit('SIGINT', 'SIGINT')).toThrow('exit 130');
    expect(process.forcedExit).toBe(130);
    release();
    await running;
  });

  it('reports a failure with exit code 1, or as the program says', async () => {
    const process = new FakeProcess();
    const failing = async () => {
      throw new WharfError('WHARF_ETCD_UNAVAILABLE', 'etcd is away');
    };
    expect(await runProgram({ name: 'wharf-test', process, config: () => ({}), main: failing })).toBe(1);
    expect(process.written).toBe('wharf-test: etcd is away\n');
    const code = await runProgram({
      name: 'wharf-test',
      process,
      config: () => ({}),
      main: failing,
      onFailure: (error) => ((error as WharfError).code === 'WHARF_ETCD_UNAVAILABLE' ? 7 : 1),
    });
    expect([code, process.exitCode]).toEqual([7, 7]);
  });
});
