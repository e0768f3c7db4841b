import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable } from './exec-command.js';

describe('findExecutable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-exec-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(join(bin, 'tool'), 0o755);
  writeFileSync(join(bin, 'data'), 'not executable');
  mkdirSync(join(bin, 'folder'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('searches PATH for a bare name, skipping files that cannot run and directories', () => {
    expect(findExecutable('tool', `/nonexistent:${bin}`)).toBe(join(bin, 'tool'));
    expect(findExecutable('data', bin)).toBeUndefined();
    expect(findExecutable('folder', bin)).toBeUndefined();
    expect(findExecutable('missing', bin)).toBeUndefined();
  });

  it('takes a path as it is', () => {
    expect(findExecutable(join(bin, 'tool'), '')).toBe(join(bin, 'tool'));
    expect(findExecutable('./nope/tool', bin)).toBeUndefined();
  });
});
