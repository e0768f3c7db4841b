import type { DataPlaneKind } from '@wharf/edge';

/**
 * The data planes every edge behaviour suite runs on, in one place: a suite runs once per plane
 * with `describe.each(DATA_PLANES)` and starts its edge with `dataPlaneEnv(plane)`. A plane is
 * added here, and nowhere else (only one the edge knows: `satisfies` checks it). The haproxy
 * plane needs `haproxy` (2.6 or later, built with Lua) on PATH; `.ci/run` installs Debian's.
 */
export const DATA_PLANES = ['builtin', 'haproxy'] as const satisfies readonly DataPlaneKind[];

export type DataPlane = (typeof DATA_PLANES)[number];

/** The edge's environment for one plane (DESIGN.md: `WHARF_DATAPLANE`). */
export function dataPlaneEnv(plane: DataPlane): { readonly WHARF_DATAPLANE: DataPlane } {
  return { WHARF_DATAPLANE: plane };
}
