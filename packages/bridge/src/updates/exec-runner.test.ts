import { describe, expect, it } from 'vitest';
import { demultiplex } from './exec-runner.js';

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.from([stream, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('demultiplex', () => {
  it('joins stdout and stderr frames in order', () => {
    expect(demultiplex(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'bar\n')]))).toBe(
      'out\nerr\nbar\n',
    );
  });

  it('keeps the last 2 KiB and survives a frame cut short', () => {
    const long = demultiplex(Buffer.concat([frame(1, 'a'.repeat(5_000)), frame(2, 'the end')]));
    expect(long).toHaveLength(2_048);
    expect(long.endsWith('the end')).toBe(true);
    expect(demultiplex(frame(1, 'cut short').subarray(0, 12))).toBe('cut ');
    expect(demultiplex(Buffer.from([1, 0, 0]))).toBe('');
  });
});
