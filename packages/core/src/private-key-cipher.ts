import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PrivateKeyDecryptionError, PrivateKeyUnavailableError } from './errors.js';
import type { SealedKey, StoredPrivateKey } from './tls-records.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * The 32-byte key in a key file's content: 64 hex digits, 44 base64 characters, or 32 raw
 * bytes (`openssl rand -hex 32` writes the first). Undefined for anything else.
 */
export function parseKeyFile(content: Buffer): Buffer | undefined {
  const text = content.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  return content.length === KEY_BYTES ? Buffer.from(content) : undefined;
}

/**
 * Seals and opens the private keys wharf keeps in etcd (certificates, the ACME account) with
 * AES-256-GCM under the key from `WHARF_TLS_KEY_FILE`, so that read access to etcd (a backup, a
 * snapshot, a reader role) does not give away the keys. Each seal has a fresh random IV.
 */
export class PrivateKeyCipher {
  /** Names the key without revealing it: the start of its SHA-256. */
  readonly kid: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new TypeError(`expected a ${KEY_BYTES}-byte key`);
    this.#key = Buffer.from(key);
    this.kid = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  seal(pem: string): SealedKey {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
    return {
      alg: 'aes-256-gcm',
      kid: this.kid,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** The PEM of a stored key; PEM as stored passes through. */
  static open(stored: StoredPrivateKey, cipher: PrivateKeyCipher | undefined): string {
    if (typeof stored === 'string') return stored;
    if (cipher === undefined)
      throw new PrivateKeyUnavailableError(
        `private key is sealed with key ${stored.kid}; set WHARF_TLS_KEY_FILE to that key`,
      );
    return cipher.open(stored);
  }

  open(sealed: SealedKey): string {
    if (sealed.kid !== this.kid)
      throw new PrivateKeyUnavailableError(
        `private key is sealed with key ${sealed.kid}, WHARF_TLS_KEY_FILE holds key ${this.kid}`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      throw new PrivateKeyDecryptionError({ cause });
    }
  }

  /** A key as it should be stored: sealed when a cipher is configured, else PEM. */
  static store(pem: string, cipher: PrivateKeyCipher | undefined): StoredPrivateKey {
    return cipher === undefined ? pem : cipher.seal(pem);
  }
}
