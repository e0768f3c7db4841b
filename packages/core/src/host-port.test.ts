import { describe, expect, it } from 'vitest';
import { formatHostPort } from './host-port.js';

describe('formatHostPort', () => {
  it('brackets IPv6 literals only', () => {
    expect(formatHostPort('10.0.0.5', 80)).toBe('10.0.0.5:80');
    expect(formatHostPort('web-1.internal', 8080)).toBe('web-1.internal:8080');
    expect(formatHostPort('fd00::5', 80)).toBe('[fd00::5]:80');
  });
});
