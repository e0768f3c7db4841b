import { afterEach, describe, expect, it, vi } from 'vitest';
import { StartupGate } from './startup-gate.js';

describe('StartupGate', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('releases waiters when opened and answers later ones at once', async () => {
    const gate = new StartupGate();
    const waiting = gate.wait(60_000);
    expect(gate.isOpen).toBe(false);
    gate.open();
    await expect(waiting).resolves.toBe(true);
    await expect(gate.wait(0)).resolves.toBe(true);
  });

  it('gives up after the bound', async () => {
    vi.useFakeTimers();
    const gate = new StartupGate();
    const waiting = gate.wait(5_000);
    vi.advanceTimersByTime(5_000);
    await expect(waiting).resolves.toBe(false);
    gate.open();
    expect(gate.isOpen).toBe(true);
  });
});
