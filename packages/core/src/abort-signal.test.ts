import { describe, expect, it } from 'vitest';
import { aborted, whenAborted } from './abort-signal.js';

describe('whenAborted', () => {
  it('fires on a later abort, once', () => {
    const controller = new AbortController();
    let calls = 0;
    whenAborted(controller.signal, () => calls++);
    controller.abort();
    controller.abort();
    expect(calls).toBe(1);
  });

  it('fires at once for a signal that has already aborted', async () => {
    let calls = 0;
    whenAborted(AbortSignal.abort(), () => calls++);
    expect(calls).toBe(1);
    await expect(aborted(AbortSignal.abort())).resolves.toBeUndefined();
  });

  it('can be removed before the abort', () => {
    const controller = new AbortController();
    let calls = 0;
    const remove = whenAborted(controller.signal, () => calls++);
    remove();
    controller.abort();
    expect(calls).toBe(0);
  });
});
