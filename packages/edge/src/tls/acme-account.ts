import { createHash } from 'node:crypto';
import {
  type AcmeAccountRecord,
  decodeAcmeAccountRecord,
  type EtcdClient,
  encodeRecord,
  type KeyLayout,
  PrivateKeyCipher,
  RECORD_VERSION,
} from '@wharf/core';
import type { AcmeLibrary } from './acme-library.js';
import type { AcmeConfig } from './tls-config.js';

/** The ACME account every edge orders with: its URL at the CA and its key (PEM). */
export interface AcmeAccount {
  readonly url: string;
  readonly key: string;
}

/** The account's name under `<prefix>/acme/accounts/`: one per directory URL. */
export function accountName(directory: string): string {
  return createHash('sha256').update(directory).digest('hex').slice(0, 16);
}

/**
 * The shared account from etcd, or a new one registered with the CA and stored (its key sealed
 * when `WHARF_TLS_KEY_FILE` is set). Two edges registering at once both succeed at the CA; the
 * first to store wins and the other uses the stored one.
 */
export async function loadAcmeAccount(options: {
  readonly client: EtcdClient;
  readonly layout: KeyLayout;
  readonly config: AcmeConfig;
  readonly cipher: PrivateKeyCipher | undefined;
  readonly acme: AcmeLibrary;
}): Promise<AcmeAccount> {
  const { client, layout, config, cipher, acme } = options;
  const key = layout.acmeKey('accounts', accountName(config.directory));
  const stored = await readAccount(client, key, cipher);
  if (stored) return stored;
  const accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
  const acmeClient = new acme.Client({ directoryUrl: config.directory, accountKey });
  await acmeClient.createAccount({
    termsOfServiceAgreed: true,
    ...(config.email ? { contact: [`mailto:${config.email}`] } : {}),
  });
  const record: AcmeAccountRecord = {
    v: RECORD_VERSION,
    directory: config.directory,
    ...(config.email ? { email: config.email } : {}),
    url: acmeClient.getAccountUrl(),
    key: PrivateKeyCipher.store(accountKey, cipher),
    createdAt: new Date().toISOString(),
  };
  const result = await client
    .if(key, 'Create', '==', 0)
    .then(client.put(key).value(encodeRecord(record)))
    .commit();
  if (result.succeeded) return { url: record.url, key: accountKey };
  const winner = await readAccount(client, key, cipher);
  if (!winner) throw new Error(`the ACME account record ${key} is not usable`);
  return winner;
}

async function readAccount(
  client: EtcdClient,
  key: string,
  cipher: PrivateKeyCipher | undefined,
): Promise<AcmeAccount | undefined> {
  const raw = await client.get(key).buffer();
  if (raw === null) return undefined;
  const decoded = decodeAcmeAccountRecord(raw);
  if (!decoded.ok) throw decoded.error;
  return { url: decoded.record.url, key: PrivateKeyCipher.open(decoded.record.key, cipher) };
}
