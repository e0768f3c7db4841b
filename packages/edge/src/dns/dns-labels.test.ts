import { describe, expect, it } from 'vitest';
import { addressLabel, tagLabel } from './dns-labels.js';

describe('tagLabel', () => {
  it.each([
    ['zone=eu-1a', 'zone-eu-1a'],
    ['Primary', 'primary'],
    ['v2.1', 'v2-1'],
    ['a_b c', 'a-b-c'],
    ['', undefined],
    ['x'.repeat(64), undefined],
  ])('%s → %s', (tag, label) => {
    expect(tagLabel(tag)).toBe(label);
  });
});

describe('addressLabel', () => {
  it.each([
    ['10.0.0.5', '0a000005'],
    ['255.1.0.16', 'ff010010'],
    ['fd00::5', 'fd000000000000000000000000000005'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8:1:2:3:4:5:6', '20010db8000100020003000400050006'],
    ['::ffff:10.0.0.5', '00000000000000000000ffff0a000005'],
    ['FE80::1%eth0', 'fe800000000000000000000000000001'],
    ['backend.internal', undefined],
  ])('%s → %s', (address, label) => {
    expect(addressLabel(address)).toBe(label);
  });
});
