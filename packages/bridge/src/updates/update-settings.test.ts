import { describe, expect, it } from 'vitest';
import { readUpdateSettings } from './update-settings.js';

describe('readUpdateSettings', () => {
  it('is undefined for containers that require nothing, or are ignored', () => {
    expect(readUpdateSettings({})).toBeUndefined();
    expect(readUpdateSettings({ 'wharf.service': 'web' })).toBeUndefined();
    expect(
      readUpdateSettings({ 'wharf.requires': 'db', 'wharf.on-change': 'x', 'wharf.ignore': 'true' }),
    ).toBeUndefined();
  });

  it('reads the services, a shell command, and the timeout', () => {
    expect(
      readUpdateSettings({
        'wharf.requires': ' db, cache ,db,',
        'wharf.on-change': 'nginx -s reload',
        'wharf.on-change.timeout': '5s',
      }),
    ).toEqual({ requires: ['db', 'cache'], command: ['/bin/sh', '-c', 'nginx -s reload'], timeoutMs: 5_000 });
  });

  it('takes a JSON array as the exec form, and requires alone without a command', () => {
    expect(
      readUpdateSettings({ 'wharf.requires': 'db', 'wharf.on-change': '["/app/reload", "--quick"]' }),
    ).toEqual({
      requires: ['db'],
      command: ['/app/reload', '--quick'],
      timeoutMs: 30_000,
    });
    expect(readUpdateSettings({ 'wharf.requires': 'db' })).toEqual({
      requires: ['db'],
      command: undefined,
      timeoutMs: 30_000,
    });
  });

  it.each([
    [{ 'wharf.on-change': 'reload' }, 'wharf.on-change'],
    [{ 'wharf.requires': 'db/x', 'wharf.on-change': 'reload' }, 'wharf.requires'],
    [{ 'wharf.requires': 'my-db,my.db', 'wharf.on-change': 'reload' }, 'wharf.requires'],
    [{ 'wharf.requires': 'db', 'wharf.on-change': '["a", 1]' }, 'wharf.on-change'],
    [{ 'wharf.requires': 'db', 'wharf.on-change': '[]' }, 'wharf.on-change'],
    [{ 'wharf.requires': 'db', 'wharf.on-change': '[not json' }, 'wharf.on-change'],
    [{ 'wharf.requires': 'db', 'wharf.on-change.timeout': 'forever' }, 'wharf.on-change.timeout'],
    [{ 'wharf.requires': 'db', 'wharf.on-change.timeout': '1h' }, 'wharf.on-change.timeout'],
  ])('refuses %j naming %s', (labels, label) => {
    expect(() => readUpdateSettings(labels)).toThrow(
      expect.objectContaining({ code: 'WHARF_LABEL_INVALID', label }),
    );
  });
});
