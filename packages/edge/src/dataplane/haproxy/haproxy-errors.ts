import { WharfError } from '@wharf/core';

/** The haproxy binary is missing, or is not one the edge can drive (version, Lua). */
export class HaproxyUnavailableError extends WharfError {
  readonly binary: string;

  constructor(binary: string, reason: string, options?: { cause?: unknown }) {
    super(
      'WHARF_HAPROXY_UNAVAILABLE',
      `haproxy binary ${JSON.stringify(binary)} is not usable: ${reason}`,
      options,
    );
    this.binary = binary;
  }
}

/** HAProxy refused the rendered configuration or exited while starting (a port in use). */
export class HaproxyStartError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_HAPROXY_START_FAILED', message, options);
  }
}

/** A Runtime API command failed or the socket could not be reached. */
export class HaproxyRuntimeError extends WharfError {
  readonly command: string | undefined;

  constructor(message: string, command?: string, options?: { cause?: unknown }) {
    super('WHARF_HAPROXY_RUNTIME', command ? `${message} (command: ${command})` : message, options);
    this.command = command;
  }
}

/** A reload through the master CLI did not bring up a new worker. */
export class HaproxyReloadError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_HAPROXY_RELOAD_FAILED', message, options);
  }
}
