import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';

/** acme-client, loaded only by edges that issue certificates (it brings node-forge and axios). */
export type AcmeLibrary = typeof import('acme-client');

let loaded: Promise<AcmeLibrary> | undefined;

/**
 * Loads acme-client once. With `extraCa` (`WHARF_ACME_CA`), its HTTP client also trusts that
 * root — a test CA such as Pebble — besides the usual ones.
 */
export function loadAcmeLibrary(extraCa: string | undefined): Promise<AcmeLibrary> {
  loaded ??= import('acme-client').then((module) => {
    const acme = ((module as { default?: AcmeLibrary }).default ?? module) as AcmeLibrary;
    if (extraCa !== undefined)
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, extraCa], keepAlive: true });
    return acme;
  });
  return loaded;
}
