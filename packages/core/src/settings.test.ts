import { describe, expect, it } from 'vitest';
import {
  booleanSetting,
  durationSetting,
  integerSetting,
  listSetting,
  nameSetting,
  oneOfSetting,
  parseSetting,
  textSetting,
} from './settings.js';

describe('settings', () => {
  it('parse text into values, or say what was expected', () => {
    expect(parseSetting(booleanSetting(), ' Yes ')).toEqual({ ok: true, value: true });
    expect(parseSetting(booleanSetting(), 'maybe')).toEqual({ ok: false, expected: 'true or false' });
    expect(parseSetting(integerSetting({ min: 1, max: 5 }), '5')).toEqual({ ok: true, value: 5 });
    expect(parseSetting(integerSetting({ min: 1, max: 5 }), '6')).toEqual({
      ok: false,
      expected: 'a whole number from 1 to 5',
    });
    expect(parseSetting(durationSetting({ minMs: 100, maxMs: 3_600_000 }), '1.5m')).toEqual({
      ok: true,
      value: 90_000,
    });
    expect(parseSetting(durationSetting({ minMs: 100, maxMs: 3_600_000 }), 'soon')).toEqual({
      ok: false,
      expected: 'a duration such as 500ms, 10s or 1m, from 100ms to 1h',
    });
    expect(parseSetting(oneOfSetting(['json', 'pretty']), 'xml')).toEqual({
      ok: false,
      expected: 'one of json, pretty',
    });
    expect(parseSetting(listSetting(), ' a, b,,c ')).toEqual({ ok: true, value: ['a', 'b', 'c'] });
    expect(parseSetting(nameSetting(), 'a/b').ok).toBe(false);
    const even = textSetting('an even number', (text) => (Number(text) % 2 === 0 ? Number(text) : undefined));
    expect(parseSetting(even, '4')).toEqual({ ok: true, value: 4 });
  });
});
