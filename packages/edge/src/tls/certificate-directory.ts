import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { type ServedCertificate, servedCertificate } from './served-certificate.js';

export interface DirectoryContents {
  readonly certificates: readonly ServedCertificate[];
  /** Files that hold no usable pair, and why (no key material in the reason). */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;

/**
 * The PEM pairs in a directory (`WHARF_TLS_CERTS`): `<name>.key` with `<name>.crt` or
 * `<name>.pem` (the chain, leaf first), or one `<name>.pem` holding both chain and key, as
 * HAProxy reads them. `default` is served to clients whose SNI nothing else covers.
 */
export async function readCertificateDirectory(directory: string): Promise<DirectoryContents> {
  const names = (await readdir(directory)).filter((file) => !file.startsWith('.')).sort();
  const present = new Set(names);
  const certificates: ServedCertificate[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const read = (file: string) => readFile(join(directory, file), 'utf8');
  for (const file of names) {
    const keyFile = file.endsWith('.key');
    const pemFile = file.endsWith('.pem');
    if (!keyFile && !pemFile && !file.endsWith('.crt')) continue;
    const name = file.replace(/\.(key|pem|crt)$/, '');
    try {
      if (keyFile) {
        const chainFile = present.has(`${name}.crt`) ? `${name}.crt` : `${name}.pem`;
        if (!present.has(chainFile)) {
          skipped.push({ file, reason: `no ${name}.crt or ${name}.pem beside it` });
          continue;
        }
        const [key, chain] = await Promise.all([read(file), read(chainFile)]);
        certificates.push(servedCertificate({ name, origin: 'file', source: 'file', chain, key }));
      } else if (pemFile && !present.has(`${name}.key`)) {
        const text = await read(file);
        const key = PRIVATE_KEY.exec(text)?.[0];
        if (key === undefined) {
          skipped.push({ file, reason: `no private key in it and no ${name}.key beside it` });
          continue;
        }
        certificates.push(servedCertificate({ name, origin: 'file', source: 'file', chain: text, key }));
      }
    } catch (error) {
      skipped.push({ file, reason: (error as Error).message });
    }
  }
  return { certificates, skipped };
}

export interface CertificateDirectoryOptions {
  readonly directory: string;
  readonly onChange: (contents: DirectoryContents) => void;
  readonly logger?: Logger;
  /** Re-read this often even without a change notice (network file systems miss them). */
  readonly pollMs?: number;
  /** Changes within this window are read once (an editor or `cp` writes in several steps). */
  readonly settleMs?: number;
}

/**
 * Keeps a certificate directory loaded: read at start, read again shortly after any change in it
 * (a file written, replaced or renamed — Kubernetes swaps a symlink) and every `pollMs`. Only a
 * read whose certificates differ from the last is passed on.
 */
export class CertificateDirectory {
  readonly #options: CertificateDirectoryOptions;
  readonly #logger: Logger;
  #signature = '';
  #reported = '';

  constructor(options: CertificateDirectoryOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'tls-files',
      directory: options.directory,
    });
  }

  /** Reads the directory once and passes the result on when it changed. Never throws. */
  async load(): Promise<void> {
    let contents: DirectoryContents;
    try {
      contents = await readCertificateDirectory(this.#options.directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      if (this.#reported !== code)
        this.#logger.warn({ code }, 'certificate directory unreadable; keeping the last certificates');
      this.#reported = code;
      return;
    }
    this.#reported = '';
    const signature = [
      ...contents.certificates.map(
        (certificate) => `${certificate.name} ${certificate.fingerprint} ${certificate.key.length}`,
      ),
      ...contents.skipped.map((entry) => `${entry.file} ${entry.reason}`),
    ].join('\n');
    if (signature === this.#signature) return;
    this.#signature = signature;
    for (const entry of contents.skipped)
      this.#logger.warn({ file: entry.file, reason: entry.reason }, 'skipping certificate file');
    this.#logger.info(
      { certificates: contents.certificates.map((certificate) => certificate.name) },
      'certificate files loaded',
    );
    this.#options.onChange(contents);
  }

  /** Watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const settleMs = this.#options.settleMs ?? 200;
    let pending: NodeJS.Timeout | undefined;
    const schedule = () => {
      clearTimeout(pending);
      pending = setTimeout(() => void this.load(), settleMs);
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.#options.directory, { persistent: false }, schedule);
      watcher.on('error', () => watcher?.close());
    } catch (error) {
      this.#logger.warn(
        { code: (error as NodeJS.ErrnoException).code },
        'cannot watch the certificate directory; polling it',
      );
    }
    try {
      while (!signal.aborted) {
        await sleep(this.#options.pollMs ?? 30_000, undefined, { signal }).catch(() => {});
        if (!signal.aborted) await this.load();
      }
    } finally {
      clearTimeout(pending);
      watcher?.close();
    }
  }
}
