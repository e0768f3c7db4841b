import type { Logger } from '@wharf/core';
import type { EdgeConfig } from '../edge-config.js';
import { AccessLog } from './access-log.js';
import { BuiltinDataPlane } from './builtin/builtin-data-plane.js';
import type { DataPlane } from './data-plane.js';
import { HaproxyDataPlane } from './haproxy/haproxy-data-plane.js';

/** The data plane `WHARF_DATAPLANE` names. */
export function createDataPlane(config: EdgeConfig, logger: Logger): DataPlane {
  switch (config.dataplane) {
    case 'builtin':
      return new BuiltinDataPlane({ config, logger });
    case 'haproxy':
      return new HaproxyDataPlane({
        config,
        logger,
        accessLog: config.accessLog === 'stdout' ? new AccessLog() : undefined,
      });
  }
}
