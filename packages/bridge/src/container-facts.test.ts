import { describe, expect, it } from 'vitest';
import { containerFacts } from './container-facts.js';
import type { ContainerInspect } from './docker-client.js';

describe('containerFacts', () => {
  it('maps docker inspect output', () => {
    const info = {
      Id: 'c'.repeat(64),
      Name: '/web-1',
      Image: 'sha256:abc',
      Config: {
        Image: 'acme/web:1.4',
        Labels: { 'wharf.service': 'web' },
        Env: ['PORT=8080'],
        ExposedPorts: { '8080/tcp': {}, '9090/tcp': {}, '53/udp': {} },
      },
      State: { Running: true, Paused: false, Health: { Status: 'healthy' } },
      NetworkSettings: {
        Ports: {
          '8080/tcp': [
            { HostIp: '0.0.0.0', HostPort: '32768' },
            { HostIp: '::', HostPort: '32768' },
          ],
          '9090/tcp': null,
        },
        Networks: { front: { IPAddress: '172.20.0.2' }, back: { IPAddress: '' } },
      },
    } as unknown as ContainerInspect;
    expect(containerFacts(info)).toEqual({
      id: 'c'.repeat(64),
      name: 'web-1',
      image: 'acme/web:1.4',
      labels: { 'wharf.service': 'web' },
      env: ['PORT=8080'],
      running: true,
      ports: [
        { privatePort: 53, protocol: 'udp', bindings: [] },
        {
          privatePort: 8080,
          protocol: 'tcp',
          bindings: [
            { hostIp: '0.0.0.0', hostPort: 32768 },
            { hostIp: '::', hostPort: 32768 },
          ],
        },
        { privatePort: 9090, protocol: 'tcp', bindings: [] },
      ],
      networks: [
        { name: 'front', ip: '172.20.0.2' },
        { name: 'back', ip: '' },
      ],
      health: 'healthy',
    });
  });

  it('a paused container is not running', () => {
    const info = {
      Id: 'd',
      Name: '/x',
      Image: 'img',
      Config: {},
      State: { Running: true, Paused: true },
      NetworkSettings: {},
    } as unknown as ContainerInspect;
    expect(containerFacts(info)).toMatchObject({
      running: false,
      image: 'img',
      ports: [],
      health: undefined,
    });
  });
});
