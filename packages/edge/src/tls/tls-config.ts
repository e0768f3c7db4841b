import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  ACME_CHALLENGE_TYPES,
  type AcmeChallengeType,
  ConfigError,
  type ConfigReader,
  PrivateKeyCipher,
  parseKeyFile,
} from '@wharf/core';
import type { ListenAddress } from '../edge-config.js';

export interface AcmeConfig {
  /** The CA's directory URL (`WHARF_ACME_DIRECTORY`). */
  readonly directory: string;
  /** Contact for the account (`WHARF_ACME_EMAIL`). */
  readonly email: string | undefined;
  /** PEM of an extra root to trust for the CA's own API (`WHARF_ACME_CA`), for test CAs. */
  readonly ca: string | undefined;
  /** Challenge types in order of preference (`WHARF_ACME_CHALLENGES`). */
  readonly challenges: readonly AcmeChallengeType[];
}

export interface TlsConfig {
  /** `WHARF_TLS_LISTEN`; undefined when `off`. */
  readonly listen: ListenAddress | undefined;
  /** `WHARF_TLS_CERTS`: a directory of PEM pairs. */
  readonly certsDirectory: string | undefined;
  /** Seals and opens private keys in etcd (`WHARF_TLS_KEY_FILE`). */
  readonly cipher: PrivateKeyCipher | undefined;
  /** The port clients reach HTTPS on, for 308 redirects (`WHARF_TLS_REDIRECT_PORT`). */
  readonly redirectPort: number;
  /** ACME issuance, when `WHARF_ACME_DIRECTORY` is set; every edge answers challenges regardless. */
  readonly acme: AcmeConfig | undefined;
  /** TTL of the edge's lease, which holds its issuance locks and challenges (`WHARF_TTL`). */
  readonly leaseTtlSeconds: number;
}

/** The edge's HTTPS settings, read once at start. */
export function readTlsConfig(reader: ConfigReader): TlsConfig {
  const listenValue = reader.string('WHARF_TLS_LISTEN', '0.0.0.0:8443');
  const certsDirectory = reader.string('WHARF_TLS_CERTS');
  if (certsDirectory !== undefined && !isDirectory(certsDirectory))
    throw new ConfigError('WHARF_TLS_CERTS', certsDirectory, 'a readable directory of PEM files');
  return Object.freeze({
    listen:
      listenValue === 'off'
        ? undefined
        : Object.freeze(reader.listenAddress('WHARF_TLS_LISTEN', '0.0.0.0:8443')),
    certsDirectory,
    cipher: readCipher(reader),
    redirectPort: reader.integer('WHARF_TLS_REDIRECT_PORT', 443, { min: 1, max: 65_535 }),
    acme: readAcme(reader),
    leaseTtlSeconds: Math.ceil(
      reader.duration('WHARF_TTL', 10_000, { minMs: 2_000, maxMs: 3_600_000 }) / 1_000,
    ),
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readCipher(reader: ConfigReader): PrivateKeyCipher | undefined {
  const path = reader.file('WHARF_TLS_KEY_FILE', existsSync);
  if (path === undefined) return undefined;
  const key = parseKeyFile(readFileSync(path));
  if (key === undefined)
    throw new ConfigError(
      'WHARF_TLS_KEY_FILE',
      path,
      'a file holding a 32-byte key as 64 hex digits (openssl rand -hex 32)',
    );
  return new PrivateKeyCipher(key);
}

function readAcme(reader: ConfigReader): AcmeConfig | undefined {
  const directory = reader.string('WHARF_ACME_DIRECTORY');
  if (directory === undefined) return undefined;
  if (!URL.canParse(directory) || !/^https?:$/.test(new URL(directory).protocol))
    throw new ConfigError(
      'WHARF_ACME_DIRECTORY',
      directory,
      'the URL of an ACME directory, such as https://acme-v02.api.letsencrypt.org/directory',
    );
  const email = reader.string('WHARF_ACME_EMAIL');
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email))
    throw new ConfigError('WHARF_ACME_EMAIL', email, 'an email address');
  const caPath = reader.file('WHARF_ACME_CA', existsSync);
  const ca = caPath === undefined ? undefined : readFileSync(caPath, 'utf8');
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError('WHARF_ACME_CA', caPath, 'a PEM file of CA certificates');
  const challenges = reader.list('WHARF_ACME_CHALLENGES', ACME_CHALLENGE_TYPES);
  for (const challenge of challenges)
    if (!(ACME_CHALLENGE_TYPES as readonly string[]).includes(challenge))
      throw new ConfigError(
        'WHARF_ACME_CHALLENGES',
        challenge,
        `a comma list of ${ACME_CHALLENGE_TYPES.join(', ')}`,
      );
  if (challenges.length === 0)
    throw new ConfigError('WHARF_ACME_CHALLENGES', '', 'at least one challenge type');
  return Object.freeze({
    directory,
    email,
    ca,
    challenges: Object.freeze(challenges as AcmeChallengeType[]),
  });
}
