import { InvalidNameError } from './errors.js';

const NAME = /^[A-Za-z0-9._:-]{1,253}$/;

/** True when `name` may be used as a service name, instance id, bridge id or route id. */
export function isValidName(name: string): boolean {
  return NAME.test(name) && name !== '.' && name !== '..';
}

/** Returns `name` unchanged, or throws `InvalidNameError` naming what it was for. */
export function assertValidName(kind: string, name: string): string {
  if (!isValidName(name)) throw new InvalidNameError(kind, name);
  return name;
}

/**
 * `<node>:<container-name>:<private-port>`, plus `:udp` for UDP, as registrator names services.
 * Docker container names may carry a leading slash; it is dropped.
 */
export function instanceId(
  node: string,
  containerName: string,
  privatePort: number,
  protocol = 'tcp',
): string {
  const name = containerName.replace(/^\//, '');
  const id = `${node}:${name}:${privatePort}${protocol === 'udp' ? ':udp' : ''}`;
  return assertValidName('instance id', id);
}

/**
 * A service name derived from an image reference the way registrator does:
 * `registry:5000/acme/web:1.4@sha256:…` → `web`.
 */
export function serviceNameFromImage(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSegment = withoutDigest.split('/').pop() ?? withoutDigest;
  const withoutTag = lastSegment.split(':')[0] ?? lastSegment;
  return withoutTag;
}
