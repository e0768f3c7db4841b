import { assertValidName, isValidName } from './names.js';

export type ParsedKey =
  | { kind: 'endpoint'; service: string; instanceId: string }
  | { kind: 'bridge'; bridgeId: string }
  | { kind: 'route'; routeId: string }
  | { kind: 'drain'; instanceId: string };

/**
 * The etcd key layout under one prefix (default `/wharf`):
 *
 *   <prefix>/services/<service>/<instance-id>   endpoint record, on the owning bridge's lease
 *   <prefix>/bridges/<bridge-id>                bridge record, same lease
 *   <prefix>/routes/<route-id>                  operator route, no lease
 *   <prefix>/drains/<instance-id>               operator drain (`wharf drain`), no lease
 */
export class KeyLayout {
  readonly prefix: string;
  /** `<prefix>/` — everything wharf owns; one range read loads it all. */
  readonly root: string;
  readonly services: string;
  readonly bridges: string;
  readonly routes: string;
  readonly drains: string;

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
    return undefined;
  }
}
