import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (name: string) => fileURLToPath(new URL(`packages/${name}/src/index.ts`, import.meta.url));

// Two projects: `unit` is pure and fast (beside the code), `integration` talks to a real
// Docker Engine, real etcd servers and real HTTP servers (under test/). Integration files run
// one at a time: they share one Docker Engine and two cores.
export default defineConfig({
  // Tests run against the sources; programs that tests spawn run from dist/ (built first).
  resolve: {
    alias: {
      '@wharf/core': source('core'),
      '@wharf/bridge': source('bridge'),
      '@wharf/edge': source('edge'),
      '@wharf/cli': source('cli'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/bench/**'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
        },
      },
    ],
  },
});
