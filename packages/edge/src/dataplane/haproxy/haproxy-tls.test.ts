import { describe, expect, it } from 'vitest';
import { CertificateSet } from '../../tls/certificate-set.js';
import { ChallengeSet } from '../../tls/challenge-set.js';
import type { ServedCertificate } from '../../tls/served-certificate.js';
import { describeRuntimeStep, type RuntimeStep } from './haproxy-reconciler.js';
import { HaproxyTls } from './haproxy-tls.js';

const NOW = Date.now();
const DAY = 86_400_000;

function certificate(
  name: string,
  domains: string[],
  options: Partial<ServedCertificate> = {},
): ServedCertificate {
  return {
    name,
    origin: 'etcd',
    source: 'manual',
    domains,
    notBefore: NOW - DAY,
    notAfter: NOW + 60 * DAY,
    chain: `CHAIN ${name}`,
    key: `KEY ${name}`,
    fingerprint: name,
    ...options,
  };
}

const paths = {
  certificates: '/run/certs',
  crtList: '/run/crt-list.txt',
  sniMap: '/run/sni.map',
  sniWildcardMap: '/run/sni-wildcards.map',
  challengeMap: '/run/challenges.map',
  stateMap: '/run/state.map',
};

const state = (certificates: ServedCertificate[], challenges = ChallengeSet.EMPTY) => ({
  certificates: new CertificateSet(certificates, NOW),
  challenges,
});

const text = (steps: readonly RuntimeStep[]) => steps.map(describeRuntimeStep);

describe('HaproxyTls', () => {
  it('adds certificates through the Runtime API with the names each is chosen for, exact before wildcard', async () => {
    const tls = await HaproxyTls.create(paths);
    const web = certificate('web', ['web.test', 'a.wild.test']);
    const wild = certificate('wild', ['*.wild.test']);
    const steps = text(tls.plan(state([web, wild])));
    const webFile = steps.find((line) => line.startsWith('new ssl cert'))!.slice('new ssl cert '.length);
    expect(steps).toContain(`set ssl cert ${webFile} << CHAIN web`);
    expect(steps).toContain(`commit ssl cert ${webFile}`);
    expect(steps).toContain(`add ssl crt-list /run/crt-list.txt << ${webFile} a.wild.test web.test`);
    expect(steps.some((line) => /add ssl crt-list .* << \S+ \*\.wild\.test$/.test(line))).toBe(true);
    expect(steps).toContain('replace /run/sni.map [["a.wild.test","1"],["web.test","1"]]');
    expect(steps).toContain('replace /run/sni-wildcards.map [["wild.test","1"]]');
    // The file names do not come from the (etcd-supplied) certificate names.
    expect(webFile).toMatch(/^\/run\/certs\/[0-9a-f]{24}\.pem$/);
    const files = tls.files();
    expect(files.crtList.split('\n')[0]).toBe('/run/certs/default.pem wharf-default.invalid');
    expect(files.certificates.get(webFile)).toBe('CHAIN web\nKEY web\n');
    expect(tls.plan(state([web, wild]))).toEqual([]);
  });

  it('replaces a renewed certificate in one transaction and removes one that is gone, never a reload', async () => {
    const tls = await HaproxyTls.create(paths);
    const first = certificate('web', ['web.test']);
    tls.plan(state([first]));
    const [file] = [...tls.files().certificates.keys()].filter((path) => !path.endsWith('default.pem'));
    const renewed = certificate('web', ['web.test'], { chain: 'CHAIN renewed', notAfter: NOW + 90 * DAY });
    expect(text(tls.plan(state([renewed])))).toEqual([
      `set ssl cert ${file} << CHAIN renewed`,
      `commit ssl cert ${file}`,
    ]);
    expect(text(tls.plan(state([])))).toEqual([
      `del ssl crt-list /run/crt-list.txt ${file}`,
      `del ssl cert ${file}`,
      'replace /run/sni.map []',
    ]);
  });

  it('puts the default certificate into the bind default file and says so in the state map', async () => {
    const tls = await HaproxyTls.create(paths);
    const placeholder = tls.files().certificates.get('/run/certs/default.pem');
    expect(placeholder).toContain('BEGIN CERTIFICATE');
    const fallback = certificate('default', ['edge.test']);
    const steps = text(tls.plan(state([fallback])));
    expect(steps).toContain('set ssl cert /run/certs/default.pem << CHAIN default');
    expect(steps).toContain('set map /run/state.map tls_default 1');
    expect(tls.hasDefault).toBe(true);
    const back = text(tls.plan(state([])));
    expect(back).toContain('set map /run/state.map tls_default 0');
    expect(tls.files().certificates.get('/run/certs/default.pem')).toBe(placeholder);
  });

  it('answers HTTP-01 tokens from a map', async () => {
    const tls = await HaproxyTls.create(paths);
    const challenges = new ChallengeSet([
      { v: 1, type: 'http-01', domain: 'web.test', token: 'tok1', keyAuthorization: 'tok1.thumb' },
    ] as never);
    expect(text(tls.plan(state([], challenges)))).toEqual([
      'replace /run/challenges.map [["tok1","tok1.thumb"]]',
    ]);
  });
});
