import { execFile } from 'node:child_process';
import { HaproxyUnavailableError } from './haproxy-errors.js';

export interface HaproxyBinary {
  /** As given: a name looked up on PATH, or a path. */
  readonly path: string;
  /** e.g. `2.6.12-1+deb12u4`. */
  readonly version: string;
  /** `setpriv --pdeathsig` is available: HAProxy dies with the edge even when it is SIGKILLed. */
  readonly parentDeathSignal: boolean;
}

const MINIMUM = [2, 6] as const;

/**
 * Checks that `path` runs and is an HAProxy the edge can drive: 2.6 or later (dynamic
 * servers, map versions, `http-after-response`) built with Lua (the startup hold). Fails with
 * an error naming the binary, so a missing package is a clear start-up error.
 */
export async function findHaproxyBinary(path = 'haproxy'): Promise<HaproxyBinary> {
  let output: string;
  try {
    output = await run(path, ['-vv']);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HaproxyUnavailableError(
      path,
      code === 'ENOENT'
        ? 'not found (install HAProxy 2.6 or later, e.g. apt-get install haproxy)'
        : String(error),
      { cause: error },
    );
  }
  const version = /HAProxy version (\S+)/.exec(output)?.[1] ?? /HA-Proxy version (\S+)/.exec(output)?.[1];
  if (version === undefined) throw new HaproxyUnavailableError(path, 'it did not print an HAProxy version');
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
    throw new HaproxyUnavailableError(path, `version ${version} is older than ${MINIMUM.join('.')}`);
  }
  if (!/Built with Lua/i.test(output)) throw new HaproxyUnavailableError(path, 'it was built without Lua');
  const parentDeathSignal = await run('setpriv', ['--help']).then(
    (help) => help.includes('--pdeathsig'),
    () => false,
  );
  return { path, version, parentDeathSignal };
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(error);
      else resolve(`${stdout}${stderr}`);
    });
  });
}
