import { CertificateSet } from './certificate-set.js';
import { ChallengeSet } from './challenge-set.js';

/**
 * What a data plane needs to terminate TLS: the certificates to choose from by SNI and the ACME
 * challenges to answer. Immutable; the controller hands a new one over on every change.
 */
export interface TlsState {
  readonly certificates: CertificateSet;
  readonly challenges: ChallengeSet;
}

export const EMPTY_TLS_STATE: TlsState = Object.freeze({
  certificates: CertificateSet.EMPTY,
  challenges: ChallengeSet.EMPTY,
});
