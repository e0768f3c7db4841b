import { describe, expect, it } from 'vitest';
import { parseServerStateLine } from './server-state-line.js';

describe('parseServerStateLine', () => {
  it('reads passive health marking a server down, and a check bringing it back', () => {
    expect(
      parseServerStateLine(
        '[WARNING]  (28993) : Server p0/n1:vanish-c:80 is DOWN, reason: Health analyze, info: "Detected 3 consecutive errors, last one was: L4 unsuccessful connection". 2 active and 3 backup servers left. 4 sessions active, 0 requeued, 0 remaining in queue.',
      ),
    ).toEqual({ server: 'p0/n1:vanish-c:80', state: 'down', reason: 'connect_failed' });
    expect(
      parseServerStateLine(
        '[WARNING]  (28993) : Server p0/n1:vanish-c:80 is UP, reason: Layer4 check passed, check duration: 0ms. 3 active and 3 backup servers online. 0 sessions requeued, 0 total in queue.',
      ),
    ).toEqual({ server: 'p0/n1:vanish-c:80', state: 'up', reason: 'Layer4 check passed' });
  });

  it('ignores what the edge itself does and every other line', () => {
    expect(
      parseServerStateLine('[WARNING]  (1) : Server p0/a is going DOWN for maintenance.'),
    ).toBeUndefined();
    expect(
      parseServerStateLine('[WARNING]  (1) : Server p0/a is UP/READY (leaving forced maintenance).'),
    ).toBeUndefined();
    expect(parseServerStateLine('[NOTICE]   (1) : New worker (2) forked')).toBeUndefined();
  });
});
