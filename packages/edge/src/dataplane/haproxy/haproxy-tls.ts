import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadAcmeLibrary } from '../../tls/acme-library.js';
import type { CertificateSet } from '../../tls/certificate-set.js';
import type { ServedCertificate } from '../../tls/served-certificate.js';
import type { TlsState } from '../../tls/tls-state.js';
import type { RuntimeStep } from './haproxy-reconciler.js';

export interface HaproxyTlsPaths {
  /** Where the certificate files (chain and key, as HAProxy reads them) live. */
  readonly certificates: string;
  readonly crtList: string;
  /** Exact names some certificate covers (SNI → 1). */
  readonly sniMap: string;
  /** Suffixes a wildcard certificate covers (`*.example.com` → `example.com 1`). */
  readonly sniWildcardMap: string;
  /** ACME HTTP-01: token → key authorization. */
  readonly challengeMap: string;
  /** The state map (`tls_default 1` when a default certificate is set). */
  readonly stateMap: string;
}

/** One line of the crt-list: a certificate file and the names it is chosen for. */
interface CrtListEntry {
  readonly path: string;
  /** Chain and key, PEM. */
  readonly pem: string;
  readonly names: readonly string[];
}

/** The files HAProxy starts from: the crt-list and every certificate file it names. */
export interface HaproxyTlsFiles {
  readonly crtList: string;
  readonly certificates: ReadonlyMap<string, string>;
  readonly sni: readonly (readonly [string, string])[];
  readonly sniWildcards: readonly (readonly [string, string])[];
  readonly challenges: readonly (readonly [string, string])[];
}

/** The certificate file that is always the crt-list's first line: the bind's default. */
const DEFAULT_FILE = 'default.pem';

/**
 * The TLS side of HAProxy's live state, built from the controller's `TlsState`: certificates
 * in a crt-list (each with the SNI names the shared `CertificateSet` chooses it for, so exact
 * beats wildcard and the preferred certificate wins, as on the built-in plane), the names any
 * certificate covers (the TCP front refuses other SNIs when no default is set: the handshake
 * fails, as on the built-in plane) and the HTTP-01 challenges. `plan` turns a new state into
 * Runtime API steps — `set ssl cert`/`commit ssl cert` for a changed certificate,
 * `add`/`del ssl crt-list` for added and removed ones — never a reload; `files` is what the
 * files must hold, so a reload or a restart starts from the live state.
 *
 * The crt-list's first line is `default.pem`: the bind's default certificate, which HAProxy
 * picks at start and never again. It holds the default certificate when one is set, else a
 * self-signed placeholder no client is ever shown (the front refuses unknown names then); a
 * change of default is a `set ssl cert` of that file.
 */
export class HaproxyTls {
  readonly #paths: HaproxyTlsPaths;
  readonly #placeholder: string;
  /** What HAProxy holds now (after the last plan), by file path. */
  #entries = new Map<string, CrtListEntry>();
  #defaultPem: string;
  #sni: [string, string][] = [];
  #wildcards: [string, string][] = [];
  #challenges: [string, string][] = [];
  #hasDefault = false;

  private constructor(paths: HaproxyTlsPaths, placeholder: string) {
    this.#paths = paths;
    this.#placeholder = placeholder;
    this.#defaultPem = placeholder;
  }

  static async create(paths: HaproxyTlsPaths): Promise<HaproxyTls> {
    return new HaproxyTls(paths, await placeholderPem());
  }

  get defaultPath(): string {
    return join(this.#paths.certificates, DEFAULT_FILE);
  }

  get hasDefault(): boolean {
    return this.#hasDefault;
  }

  /** The steps that take HAProxy from the last planned state to `state`. */
  plan(state: TlsState): RuntimeStep[] {
    const steps: RuntimeStep[] = [];
    const desired = this.#desired(state.certificates);
    const list = this.#paths.crtList;
    for (const path of this.#entries.keys()) {
      if (desired.has(path)) continue;
      steps.push(command(`del ssl crt-list ${list} ${path}`), command(`del ssl cert ${path}`));
    }
    for (const [path, entry] of desired) {
      const current = this.#entries.get(path);
      if (current === undefined) {
        steps.push(command(`new ssl cert ${path}`), ...replaceCertificate(path, entry.pem));
        steps.push(payload(`add ssl crt-list ${list}`, [crtListLine(entry)]));
        continue;
      }
      if (current.pem !== entry.pem) steps.push(...replaceCertificate(path, entry.pem));
      if (current.names.join(' ') !== entry.names.join(' ')) {
        steps.push(command(`del ssl crt-list ${list} ${path}`));
        steps.push(payload(`add ssl crt-list ${list}`, [crtListLine(entry)]));
      }
    }
    this.#entries = desired;

    const fallback = state.certificates.default;
    const defaultPem = fallback ? certificatePem(fallback) : this.#placeholder;
    if (defaultPem !== this.#defaultPem) steps.push(...replaceCertificate(this.defaultPath, defaultPem));
    this.#defaultPem = defaultPem;
    if ((fallback !== undefined) !== this.#hasDefault)
      steps.push(command(`set map ${this.#paths.stateMap} tls_default ${fallback ? 1 : 0}`));
    this.#hasDefault = fallback !== undefined;

    const sni: [string, string][] = [];
    const wildcards: [string, string][] = [];
    for (const entry of desired.values())
      for (const name of entry.names)
        if (name.startsWith('*.')) wildcards.push([name.slice(2), '1']);
        else sni.push([name, '1']);
    const challenges = [...state.challenges.httpChallenges()];
    for (const [map, entries, current] of [
      [this.#paths.sniMap, sni, this.#sni],
      [this.#paths.sniWildcardMap, wildcards, this.#wildcards],
      [this.#paths.challengeMap, challenges, this.#challenges],
    ] as const) {
      if (JSON.stringify(entries) !== JSON.stringify(current))
        steps.push({ kind: 'replace-map', map, entries });
    }
    this.#sni = sni;
    this.#wildcards = wildcards;
    this.#challenges = challenges;
    return steps;
  }

  /** What the files must hold for the state last planned. */
  files(): HaproxyTlsFiles {
    const certificates = new Map<string, string>([[this.defaultPath, this.#defaultPem]]);
    const lines = [`${this.defaultPath} wharf-default.invalid`];
    for (const entry of this.#entries.values()) {
      certificates.set(entry.path, entry.pem);
      lines.push(crtListLine(entry));
    }
    return {
      crtList: `${lines.join('\n')}\n`,
      certificates,
      sni: this.#sni,
      sniWildcards: this.#wildcards,
      challenges: this.#challenges,
    };
  }

  /**
   * One crt-list entry per certificate that some name is chosen for, with those names. The
   * default certificate serves its own names only where it is the best choice, like any other.
   */
  #desired(set: CertificateSet): Map<string, CrtListEntry> {
    const names = new Map<ServedCertificate, string[]>();
    for (const certificate of set.certificates) {
      for (const domain of certificate.domains) {
        // A wildcard is chosen for a name it covers that no certificate names exactly.
        const probe = domain.startsWith('*.') ? `wharf-probe${domain.slice(1)}` : domain;
        if (set.select(probe) !== certificate) continue;
        const list = names.get(certificate) ?? [];
        list.push(domain);
        names.set(certificate, list);
      }
    }
    const entries = new Map<string, CrtListEntry>();
    for (const [certificate, list] of names) {
      const path = join(this.#paths.certificates, `${fileName(certificate)}.pem`);
      entries.set(path, { path, pem: certificatePem(certificate), names: list.sort() });
    }
    return entries;
  }
}

function command(text: string): RuntimeStep {
  return { kind: 'command', command: text };
}

function payload(text: string, lines: readonly string[]): RuntimeStep {
  return { kind: 'payload', command: text, payload: lines };
}

/** A certificate file's new contents, in one transaction (`set ssl cert`, `commit ssl cert`). */
function replaceCertificate(path: string, pem: string): RuntimeStep[] {
  return [payload(`set ssl cert ${path}`, pem.trim().split('\n')), command(`commit ssl cert ${path}`)];
}

function crtListLine(entry: CrtListEntry): string {
  return `${entry.path} ${entry.names.join(' ')}`;
}

/** Chain and key in one file, as HAProxy reads them. */
function certificatePem(certificate: ServedCertificate): string {
  return `${certificate.chain.trim()}\n${certificate.key.trim()}\n`;
}

/** A file name for a certificate that no record name can steer (names come from etcd). */
function fileName(certificate: ServedCertificate): string {
  return createHash('sha256').update(`${certificate.origin}\0${certificate.name}`).digest('hex').slice(0, 24);
}

/**
 * A self-signed certificate for a name no client asks for (`.invalid`, RFC 6761): the bind's
 * default until one is set. Node has no API to make one; acme-client makes self-signed ones.
 */
async function placeholderPem(): Promise<string> {
  const acme = await loadAcmeLibrary(undefined);
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const authorization = { identifier: { type: 'dns', value: 'wharf-default.invalid' } };
  const [, certificate] = await acme.crypto.createAlpnCertificate(
    authorization as Parameters<typeof acme.crypto.createAlpnCertificate>[0],
    'placeholder',
    key,
  );
  return `${certificate.toString().trim()}\n${key.toString().trim()}\n`;
}
