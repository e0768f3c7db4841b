import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs jobs of one key in order and different keys concurrently', async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const queue = new SerialQueue((_key, error) => errors.push(error));
    let releaseA: () => void = () => {};
    const gateA = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    void queue.enqueue('a', async () => {
      await gateA;
      log.push('a1');
    });
    void queue.enqueue('a', async () => {
      log.push('a2');
    });
    await queue.enqueue('b', async () => {
      log.push('b1');
    });
    expect(log).toEqual(['b1']);
    void queue.enqueue('a', async () => {
      throw new Error('boom');
    });
    void queue.enqueue('a', async () => {
      log.push('a3');
    });
    releaseA();
    await queue.idle();
    expect(log).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(errors).toHaveLength(1);
    expect(queue.size).toBe(0);
  });
});
