import { assertValidName, isValidName } from './names.js';

export type ParsedKey =
  | { kind: 'endpoint'; service: string; instanceId: string }
  | { kind: 'bridge'; bridgeId: string }
  | { kind: 'route'; routeId: string }
  | { kind: 'drain'; instanceId: string }
  | { kind: 'certificate'; name: string }
  | { kind: 'challenge'; token: string }
  | { kind: 'acme'; section: AcmeSection; name: string };

/**
 * The parts of `<prefix>/acme/` that only the edges' ACME issuers read (challenges, which every
 * edge answers, have a kind of their own).
 */
export type AcmeSection = 'accounts' | 'locks' | 'status';
const ACME_SECTIONS: readonly string[] = ['accounts', 'locks', 'status'] satisfies AcmeSection[];

/**
 * The etcd key layout under one prefix (default `/wharf`):
 *
 *   <prefix>/services/<service>/<instance-id>   endpoint record, on the owning bridge's lease
 *   <prefix>/bridges/<bridge-id>                bridge record, same lease
 *   <prefix>/routes/<route-id>                  operator route, no lease
 *   <prefix>/drains/<instance-id>               operator drain (`wharf drain`), no lease
 *   <prefix>/certs/<name>                       certificate the edges serve, no lease
 *   <prefix>/acme/challenges/<token>            ACME challenge being validated, the issuing edge's lease
 *   <prefix>/acme/accounts/<id>                 ACME account (one per directory), no lease
 *   <prefix>/acme/locks/<name>                  the edge issuing a certificate, its lease
 *   <prefix>/acme/status/<name>                 issuance attempts and shared backoff, no lease
 */
export class KeyLayout {
  readonly prefix: string;
  /** `<prefix>/` — everything wharf owns; one range read loads it all. */
  readonly root: string;
  readonly services: string;
  readonly bridges: string;
  readonly routes: string;
  readonly drains: string;
  readonly certs: string;
  readonly acme: string;

  constructor(prefix = '/wharf') {
    const trimmed = prefix.replace(/\/+$/, '');
    if (!/^\/[A-Za-z0-9._/-]*$/.test(prefix) || trimmed === '') {
      throw new TypeError(
        `invalid key prefix ${JSON.stringify(prefix)}: expected an absolute path such as /wharf`,
      );
    }
    this.prefix = trimmed;
    this.root = `${trimmed}/`;
    this.services = `${trimmed}/services/`;
    this.bridges = `${trimmed}/bridges/`;
    this.routes = `${trimmed}/routes/`;
    this.drains = `${trimmed}/drains/`;
    this.certs = `${trimmed}/certs/`;
    this.acme = `${trimmed}/acme/`;
  }

  endpointKey(service: string, instanceId: string): string {
    return `${this.services}${assertValidName('service name', service)}/${assertValidName('instance id', instanceId)}`;
  }

  serviceKeys(service: string): string {
    return `${this.services}${assertValidName('service name', service)}/`;
  }

  bridgeKey(bridgeId: string): string {
    return `${this.bridges}${assertValidName('bridge id', bridgeId)}`;
  }

  routeKey(routeId: string): string {
    return `${this.routes}${assertValidName('route id', routeId)}`;
  }

  drainKey(instanceId: string): string {
    return `${this.drains}${assertValidName('instance id', instanceId)}`;
  }

  certificateKey(name: string): string {
    return `${this.certs}${assertValidName('certificate name', name)}`;
  }

  challengeKey(token: string): string {
    return `${this.acme}challenges/${assertValidName('challenge token', token)}`;
  }

  acmeKey(section: AcmeSection, name: string): string {
    return `${this.acme}${section}/${assertValidName(`acme ${section} name`, name)}`;
  }

  /** The drain key (`wharf drain`) of the endpoint stored under `endpointKey`; undefined for other keys. */
  drainKeyOf(endpointKey: string): string | undefined {
    const parsed = this.parse(endpointKey);
    return parsed?.kind === 'endpoint' ? this.drainKey(parsed.instanceId) : undefined;
  }

  /** What a key under the prefix names, or `undefined` for keys wharf does not own or that are malformed. */
  parse(key: string): ParsedKey | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const parts = key.slice(this.root.length).split('/');
    const [section, first, second] = parts;
    if (section === 'services' && parts.length === 3 && first && second) {
      if (!isValidName(first) || !isValidName(second)) return undefined;
      return { kind: 'endpoint', service: first, instanceId: second };
    }
    if (section === 'bridges' && parts.length === 2 && first && isValidName(first)) {
      return { kind: 'bridge', bridgeId: first };
    }
    if (section === 'routes' && parts.length === 2 && first && isValidName(first)) {
      return { kind: 'route', routeId: first };
    }
    if (section === 'drains' && parts.length === 2 && first && isValidName(first)) {
      return { kind: 'drain', instanceId: first };
    }
    if (section === 'certs' && parts.length === 2 && first && isValidName(first)) {
      return { kind: 'certificate', name: first };
    }
    if (section === 'acme' && parts.length === 3 && first && second && isValidName(second)) {
      if (first === 'challenges') return { kind: 'challenge', token: second };
      if (ACME_SECTIONS.includes(first)) return { kind: 'acme', section: first as AcmeSection, name: second };
    }
    return undefined;
  }
}
