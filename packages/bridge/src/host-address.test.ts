import type { NetworkInterfaceInfo } from 'node:os';
import { ConfigError } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import {
  chooseHostAddress,
  type HostFacts,
  isPublishable,
  parseDefaultRoute,
  parseOwnContainerId,
} from './host-address.js';

const v4 = (address: string, internal = false) =>
  ({ address, family: 'IPv4', internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
const v6 = (address: string) =>
  ({
    address,
    family: 'IPv6',
    internal: false,
    netmask: '',
    mac: '',
    cidr: null,
    scopeid: 0,
  }) as NetworkInterfaceInfo;

const INTERFACES = {
  lo: [v4('127.0.0.1', true)],
  docker0: [v4('172.17.0.1')],
  'br-0123abcd': [v4('172.18.0.1')],
  eth0: [v6('fe80::1'), v4('10.0.0.5')],
  eth1: [v4('192.168.7.5')],
};

const facts = (overrides: Partial<HostFacts> = {}): HostFacts => ({
  explicit: undefined,
  internal: false,
  container: undefined,
  towardEtcd: undefined,
  defaultRouteInterface: undefined,
  interfaces: INTERFACES,
  ...overrides,
});

describe('chooseHostAddress', () => {
  it('takes WHARF_HOST_IP as told, loopback included', () => {
    expect(chooseHostAddress(facts({ explicit: '127.0.0.1' }))).toEqual({
      address: '127.0.0.1',
      source: 'WHARF_HOST_IP',
    });
  });

  it('prefers the source address of the route to etcd, then the default route, then the first non-Docker interface', () => {
    const towardEtcd = { endpoint: '192.168.7.1:2379', address: '192.168.7.5' };
    expect(chooseHostAddress(facts({ towardEtcd, defaultRouteInterface: 'eth0' })).address).toBe(
      '192.168.7.5',
    );
    expect(chooseHostAddress(facts({ defaultRouteInterface: 'eth1' })).address).toBe('192.168.7.5');
    expect(chooseHostAddress(facts())).toMatchObject({
      address: '10.0.0.5',
      source: expect.stringContaining('eth0'),
    });
  });

  it('never publishes loopback found by the route to an etcd on this host', () => {
    const towardEtcd = { endpoint: '127.0.0.1:2379', address: '127.0.0.1' };
    expect(chooseHostAddress(facts({ towardEtcd, defaultRouteInterface: 'eth1' })).address).toBe(
      '192.168.7.5',
    );
  });

  it('uses a global IPv6 address when there is no IPv4 one', () => {
    expect(
      chooseHostAddress(facts({ interfaces: { eth0: [v6('fe80::1'), v6('2001:db8::5')] } })).address,
    ).toBe('2001:db8::5');
  });

  it('finds it in a container on the host network', () => {
    const container = { id: 'a'.repeat(64), networkMode: 'host' };
    expect(chooseHostAddress(facts({ container, defaultRouteInterface: 'eth0' })).address).toBe('10.0.0.5');
  });

  it('refuses in a container with its own network namespace, naming the way out', () => {
    const container = { id: 'a'.repeat(64), networkMode: 'bridge' };
    const attempt = () => chooseHostAddress(facts({ container, defaultRouteInterface: 'eth0' }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/WHARF_HOST_IP.*network mode "bridge".*--network host.*WHARF_INTERNAL=true/);
  });

  it('refuses a host with loopback only', () => {
    expect(() => chooseHostAddress(facts({ interfaces: { lo: [v4('127.0.0.1', true)] } }))).toThrow(
      /WHARF_HOST_IP.*no address but loopback/,
    );
  });

  it('needs no host address with WHARF_INTERNAL', () => {
    const container = { id: 'a'.repeat(64), networkMode: 'wharf' };
    expect(chooseHostAddress(facts({ container, internal: true })).source).toMatch(/unused/);
  });
});

describe('isPublishable', () => {
  it.each([
    ['10.0.0.5', true],
    ['2001:db8::5', true],
    ['127.0.0.1', false],
    ['0.0.0.0', false],
    ['169.254.1.1', false],
    ['::', false],
    ['::1', false],
    ['fe80::1', false],
    ['not-an-address', false],
  ])('%s → %s', (address, expected) => expect(isPublishable(address)).toBe(expected));
});

describe('parseDefaultRoute', () => {
  it('finds the interface of the 0.0.0.0/0 route', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
      'eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    ].join('\n');
    expect(parseDefaultRoute(table)).toBe('eth0');
    expect(parseDefaultRoute(table.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
    expect(parseDefaultRoute('')).toBeUndefined();
  });
});

describe('parseOwnContainerId', () => {
  it('reads the id from the mounts Docker gives every container', () => {
    const id = 'a84597dca4e7ec3aee0bb370ee3ee101b52e6a067b70022b0d1920f51aaa6625';
    const line = `91 73 254:0 /var/lib/docker/containers/${id}/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw`;
    expect(parseOwnContainerId(`1 0 0:1 / / rw - overlay overlay rw\n${line}\n`)).toBe(id);
    expect(parseOwnContainerId('1 0 0:1 / / rw - ext4 /dev/vda rw\n')).toBeUndefined();
  });
});
