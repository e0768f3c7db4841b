import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadEdgeConfig } from '@wharf/edge';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function imageUser(image: string): Promise<string> {
  try {
    const { stdout } = await run('docker', ['image', 'inspect', image, '--format', '{{.Config.User}}']);
    return stdout.trim();
  } catch (error) {
    throw new Error(`image ${image} is missing: build the images first (docker/build-images.sh)`, {
      cause: error,
    });
  }
}

describe('secure defaults', () => {
  it('the admin listener binds to loopback unless told otherwise', () => {
    const config = loadEdgeConfig({});
    expect(config.adminListen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.allowLinkLocal).toBe(false);
    expect(config.trustedProxies).toEqual([]);
  });

  it('the edge and demo images run as a non-root user', async () => {
    for (const image of ['wharf/edge', 'wharf/demo']) {
      const user = await imageUser(image);
      expect(user, image).not.toBe('');
      expect(user, image).not.toMatch(/^(root|0)(:|$)/);
    }
  });
});
