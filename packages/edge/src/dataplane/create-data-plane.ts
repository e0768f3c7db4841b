import { ConfigError, type Logger } from '@wharf/core';
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
      // HTTPS on the HAProxy plane is not built yet: never a silent HTTP-only edge.
      if (config.tls.listen !== undefined && (config.tls.certsDirectory ?? config.tls.acme) !== undefined)
        throw new ConfigError(
          'WHARF_DATAPLANE',
          'haproxy',
          'builtin while HTTPS is configured (WHARF_TLS_CERTS or WHARF_ACME_DIRECTORY with WHARF_TLS_LISTEN on): the HAProxy plane does not terminate TLS yet',
        );
      return new HaproxyDataPlane({
        config,
        logger,
        accessLog: config.accessLog === 'stdout' ? new AccessLog() : undefined,
      });
  }
}
