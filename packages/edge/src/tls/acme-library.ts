import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';

/** acme-client, loaded only by edges that issue certificates (it brings node-forge and axios). */
export type AcmeLibrary = typeof import('acme-client');

let loaded: Promise<AcmeLibrary> | undefined;
let trusted: string | undefined;

/**
 * Loads acme-client once. With `extraCa` (`WHARF_ACME_CA`), its HTTP client also trusts that
 * root — a test CA such as Pebble — besides the usual ones, whoever loaded the library first
 * (the HAProxy plane loads it for its placeholder certificate, without a CA).
 */
export async function loadAcmeLibrary(extraCa: string | undefined): Promise<AcmeLibrary> {
  loaded ??= import('acme-client').then(
    (module) => ((module as { default?: AcmeLibrary }).default ?? module) as AcmeLibrary,
  );
  const acme = await loaded;
  if (extraCa !== undefined && extraCa !== trusted) {
    trusted = extraCa;
    acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, extraCa], keepAlive: true });
  }
  return acme;
}
