import type { Logger } from '@wharf/core';
import { WharfError } from '@wharf/core';
import type { EdgeConfig } from '../edge-config.js';
import { BuiltinDataPlane } from './builtin/builtin-data-plane.js';
import type { DataPlane } from './data-plane.js';

/** The data plane `WHARF_DATAPLANE` names. */
export function createDataPlane(config: EdgeConfig, logger: Logger): DataPlane {
  switch (config.dataplane) {
    case 'builtin':
      return new BuiltinDataPlane({ config, logger });
    case 'haproxy':
      throw new WharfError(
        'WHARF_DATAPLANE_UNAVAILABLE',
        'the haproxy data plane is not built into this edge',
      );
  }
}
