import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatAge, formatState } from './format.js';
import { colourEnabled, createPalette } from './palette.js';
import { renderTable } from './table.js';

const plain = createPalette(false);
const coloured = createPalette(true);
const NOW = Date.parse('2026-01-02T03:04:05Z');

describe('formatting', () => {
  it('shows ages in the largest sensible unit', () => {
    expect(formatAge('2026-01-02T03:04:00Z', NOW)).toBe('5s');
    expect(formatAge('2026-01-02T02:54:05Z', NOW)).toBe('10m');
    expect(formatAge('2026-01-01T21:04:05Z', NOW)).toBe('6h');
    expect(formatAge('2025-12-29T03:04:05Z', NOW)).toBe('4d');
    expect(formatAge('2026-01-02T03:05:00Z', NOW)).toBe('0s');
    expect(formatAge('not a time', NOW)).toBe('-');
    expect(formatAge(undefined, NOW)).toBe('-');
  });

  it('shows an operator drain as draining at once, before and after the bridge applies it', () => {
    expect(formatState('serving', undefined, plain)).toBe('serving');
    const drain = { v: 1 as const, service: 'web', reason: 'kernel', at: '2026-01-02T03:04:05Z' };
    expect(formatState('serving', drain, plain)).toBe('draining (operator: kernel)');
    expect(formatState('draining', drain, plain)).toBe('draining (operator: kernel)');
  });

  it('colours only when enabled', () => {
    expect(formatState('serving', undefined, coloured)).toContain('\u001b[');
    expect(formatState('serving', undefined, plain)).not.toContain('\u001b[');
  });
});

describe('colourEnabled', () => {
  it('needs a terminal, no NO_COLOR and no --no-color', () => {
    expect(colourEnabled({ isTTY: true, noColorEnv: undefined, colorFlag: true })).toBe(true);
    expect(colourEnabled({ isTTY: true, noColorEnv: '', colorFlag: true })).toBe(true);
    expect(colourEnabled({ isTTY: false, noColorEnv: undefined, colorFlag: true })).toBe(false);
    expect(colourEnabled({ isTTY: true, noColorEnv: '1', colorFlag: true })).toBe(false);
    expect(colourEnabled({ isTTY: true, noColorEnv: undefined, colorFlag: false })).toBe(false);
  });
});

describe('renderTable', () => {
  it('aligns columns without borders or trailing spaces', () => {
    const text = renderTable(
      ['NAME', 'VALUE'],
      [
        ['a', '1'],
        ['longer', 'two\nlines'],
      ],
      plain,
    );
    expect(text).toBe(['NAME    VALUE', 'a       1', 'longer  two', '        lines', ''].join('\n'));
  });

  it('aligns coloured cells by their visible width', () => {
    const text = renderTable(['A', 'B'], [[coloured.green('xx'), 'y']], coloured);
    const lines = stripVTControlCharacters(text).split('\n');
    expect(lines[0]).toBe('A   B');
    expect(lines[1]).toBe('xx  y');
  });
});
