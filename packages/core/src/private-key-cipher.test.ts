import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PrivateKeyCipher, parseKeyFile } from './private-key-cipher.js';
import { sealedKeySchema } from './tls-records.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n';

describe('PrivateKeyCipher', () => {
  const key = randomBytes(32);
  const cipher = new PrivateKeyCipher(key);

  it('seals to a record field and opens it again; each seal differs', () => {
    const sealed = cipher.seal(PEM);
    expect(sealedKeySchema.parse(sealed)).toEqual(sealed);
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE KEY');
    expect(cipher.seal(PEM).data).not.toBe(sealed.data);
    expect(PrivateKeyCipher.open(sealed, cipher)).toBe(PEM);
  });

  it('passes PEM through and seals only when configured', () => {
    expect(PrivateKeyCipher.open(PEM, cipher)).toBe(PEM);
    expect(PrivateKeyCipher.store(PEM, undefined)).toBe(PEM);
    expect(typeof PrivateKeyCipher.store(PEM, cipher)).toBe('object');
  });

  it('says which key is missing or different, and refuses altered data', () => {
    const sealed = cipher.seal(PEM);
    expect(() => PrivateKeyCipher.open(sealed, undefined)).toThrow(
      expect.objectContaining({ code: 'WHARF_TLS_KEY_UNAVAILABLE' }),
    );
    expect(() => new PrivateKeyCipher(randomBytes(32)).open(sealed)).toThrow(
      expect.objectContaining({ code: 'WHARF_TLS_KEY_UNAVAILABLE' }),
    );
    const data = Buffer.from(sealed.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => cipher.open({ ...sealed, data: data.toString('base64') })).toThrow(
      expect.objectContaining({ code: 'WHARF_TLS_KEY_DECRYPTION' }),
    );
  });
});

describe('parseKeyFile', () => {
  it('reads hex, base64 and raw 32-byte keys, and nothing else', () => {
    const key = randomBytes(32);
    expect(parseKeyFile(Buffer.from(`${key.toString('hex')}\n`))).toEqual(key);
    expect(parseKeyFile(Buffer.from(key.toString('base64')))).toEqual(key);
    expect(parseKeyFile(key)).toEqual(key);
    expect(parseKeyFile(Buffer.from('secret'))).toBeUndefined();
    expect(parseKeyFile(Buffer.from('ab'.repeat(31)))).toBeUndefined();
  });
});
