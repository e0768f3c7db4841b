import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Passwords for the users `enableLeastPrivilegeAuth` creates. */
export interface EtcdUsers {
  readonly root: { username: 'root'; password: string };
  readonly bridge: { username: string; password: string };
  readonly edge: { username: string; password: string };
}

/** Runs etcdctl (API v3) against one endpoint; returns stdout. */
export async function etcdctl(endpoint: string, args: readonly string[], extra: readonly string[] = []) {
  const { stdout } = await run('etcdctl', [`--endpoints=${endpoint}`, ...extra, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  return stdout;
}

/**
 * Turns on etcd authentication with the least-privilege roles docs/security.md describes, using
 * exactly the etcdctl commands printed there:
 *
 * - `wharf-bridge`: readwrite on `<prefix>/services/` and `<prefix>/bridges/`, read on `<prefix>/drains/`.
 * - `wharf-edge`: read on `<prefix>/` (the edge lists and watches the whole prefix).
 */
export async function enableLeastPrivilegeAuth(endpoint: string, prefix = '/wharf'): Promise<EtcdUsers> {
  const users: EtcdUsers = {
    root: { username: 'root', password: `root-${process.pid}` },
    bridge: { username: 'wharf-bridge', password: `bridge-${process.pid}` },
    edge: { username: 'wharf-edge', password: `edge-${process.pid}` },
  };
  const commands: string[][] = [
    ['user', 'add', 'root', `--new-user-password=${users.root.password}`, '--interactive=false'],
    ['user', 'grant-role', 'root', 'root'],
    ['role', 'add', 'wharf-bridge'],
    ['role', 'grant-permission', 'wharf-bridge', '--prefix=true', 'readwrite', `${prefix}/services/`],
    ['role', 'grant-permission', 'wharf-bridge', '--prefix=true', 'readwrite', `${prefix}/bridges/`],
    ['role', 'grant-permission', 'wharf-bridge', '--prefix=true', 'read', `${prefix}/drains/`],
    [
      'user',
      'add',
      users.bridge.username,
      `--new-user-password=${users.bridge.password}`,
      '--interactive=false',
    ],
    ['user', 'grant-role', users.bridge.username, 'wharf-bridge'],
    ['role', 'add', 'wharf-edge'],
    ['role', 'grant-permission', 'wharf-edge', '--prefix=true', 'read', `${prefix}/`],
    ['user', 'add', users.edge.username, `--new-user-password=${users.edge.password}`, '--interactive=false'],
    ['user', 'grant-role', users.edge.username, 'wharf-edge'],
    ['auth', 'enable'],
  ];
  for (const command of commands) await etcdctl(endpoint, command);
  return users;
}
