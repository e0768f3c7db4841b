import { WharfError } from '@wharf/core';

/** Something the operator named does not exist (an instance id, a service). */
export class NotFoundError extends WharfError {
  constructor(message: string) {
    super('WHARF_NOT_FOUND', message);
  }
}

/** Exit statuses scripts can branch on. */
export const EXIT = { ok: 0, failure: 1, usage: 1, etcdUnavailable: 2 } as const;
