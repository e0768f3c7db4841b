import { describe, expect, it } from 'vitest';
import { isServing } from './serving.js';

describe('isServing', () => {
  it('is true only for a serving record without an operator drain', () => {
    expect(isServing({ state: 'serving' }, false)).toBe(true);
    expect(isServing({ state: 'serving' }, true)).toBe(false);
    expect(isServing({ state: 'draining' }, false)).toBe(false);
    expect(isServing({ state: 'draining' }, true)).toBe(false);
  });
});
