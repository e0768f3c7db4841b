import type { HostileFamily } from '../../support/hostile-case.js';
import { h2csmuggler } from './h2csmuggler.js';
import { hopByHop } from './hop-by-hop.js';
import { httpGarden } from './http-garden.js';
import { smuggler } from './smuggler.js';
import { websocketSmuggle } from './websocket-smuggle.js';

/** Every published payload family, in the order the suites and the benchmark replay them. */
export const HOSTILE_CORPUS: readonly HostileFamily[] = [
  smuggler,
  httpGarden,
  h2csmuggler,
  websocketSmuggle,
  hopByHop,
];
