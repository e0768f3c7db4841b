import { type Logger, pino } from 'pino';
import type { LogConfig } from './common-config.js';

export type { Logger } from 'pino';

/**
 * The one root logger of a wharf program. Modules take `logger.child({ component })`; data goes
 * in fields, messages are stable phrases. `LOG_FORMAT=pretty` renders in-process (no worker
 * thread: it would cost more memory than the rest of the bridge).
 */
export async function createLogger(config: LogConfig, name: string): Promise<Logger> {
  const options = { name, level: config.level, base: { name, pid: process.pid } };
  if (config.format === 'pretty') {
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ sync: true, colorize: process.stdout.isTTY === true, destination: 2 }));
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** A buffered, non-blocking writer of text lines to a file descriptor (e.g. 1: an access log on stdout). */
export interface LineWriter {
  write(line: string): boolean;
  /** Starts writing out what is buffered, without blocking. */
  flush(): void;
  /** Writes out what is buffered, synchronously (at exit). */
  flushSync(): void;
  end(): void;
}

/**
 * A line writer on `fd` that buffers up to 4 KiB before writing and never blocks the event loop
 * on a slow reader (pino's own destination, so no second implementation of the same thing).
 */
export function createLineWriter(fd: number): LineWriter {
  return pino.destination({ dest: fd, sync: false, minLength: 4096 });
}
