import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { promisify } from 'node:util';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { createTestCertificateAuthority, type TestCertificateAuthority } from '../support/tls.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

const run = promisify(execFile);

interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly certificate: PeerCertificate;
}

describe.each(
  DATA_PLANES,
)('wharf-edge HTTPS on the %s plane (certificate files, SNI, HTTP/2, hostile TLS)', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-https-${process.pid}-${dataplane}`);
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let backend: TestBackend;
  let authority: TestCertificateAuthority;
  let certs: string;

  const install = (name: string, domains: string[]) => {
    const issued = authority.issue(name, domains);
    copyFileSync(issued.key, join(certs, `${name}.key`));
    copyFileSync(issued.cert, join(certs, `${name}.crt`));
  };

  /** One HTTPS request on a new connection, with SNI `serverName`, trusting the test CA. */
  const fetchHttps = (
    serverName: string,
    path = '/',
    options: ConnectionOptions = {},
  ): Promise<HttpsAnswer> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: edge.tlsPort,
          path,
          servername: serverName,
          headers: { host: serverName },
          ca: readFileSync(authority.ca),
          agent: false,
          ...options,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body,
              headers: res.headers,
              certificate: (res.socket as TLSSocket).getPeerCertificate(),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  const handshake = (options: ConnectionOptions): Promise<TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: edge.tlsPort,
        ca: readFileSync(authority.ca),
        ...options,
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });

  beforeAll(async () => {
    authority = createTestCertificateAuthority();
    certs = mkdtempSync(join(tmpdir(), 'wharf-edge-certs-'));
    install('web', ['web.test', 'localhost']);
    install('wild', ['*.wild.test']);
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    backend = await TestBackend.start('b1');
    edge = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      tls: true,
      env: { WHARF_TLS_CERTS: certs, WHARF_HEADERS_TIMEOUT: '2s' },
    });
    await putEndpoint(client, layout, 'web', 'n1:web-1:80', backend.port, {
      routes: [
        { host: 'web.test', pathPrefix: '/', hsts: 600 },
        { host: 'localhost', pathPrefix: '/' },
        { host: 'a.wild.test', pathPrefix: '/' },
      ],
    });
    await eventually(async () => expect((await get(edge.url, 'web.test')).status).toBe(200));
  });

  afterAll(async () => {
    await edge?.stop();
    client?.close();
    await backend?.close();
    await etcd?.stop();
    authority?.close();
    if (certs) rmSync(certs, { recursive: true, force: true });
  });

  it('serves HTTPS with the certificate for the SNI and tells the backend it was HTTPS', async () => {
    const answer = await fetchHttps('web.test', '/hello');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('b1 /hello');
    expect(answer.certificate.subjectaltname).toContain('DNS:web.test');
    const seen = backend.seen.at(-1);
    expect(seen?.headers['x-forwarded-proto']).toBe('https');
    expect(seen?.headers.host).toBe('web.test');
    // HSTS on HTTPS only (RFC 6797 §7.2).
    expect(answer.headers['strict-transport-security']).toBe('max-age=600');
    expect((await get(edge.url, 'web.test')).headers.get('strict-transport-security')).toBeNull();
    // A wildcard certificate covers one label in front.
    const wild = await fetchHttps('a.wild.test');
    expect(wild.certificate.subjectaltname).toBe('DNS:*.wild.test');
  });

  it('speaks HTTP/2 by ALPN (Node, curl --http2, nghttp) and HTTP/1.1 to clients that ask for it', async () => {
    const session = http2Connect(`https://localhost:${edge.tlsPort}`, { ca: readFileSync(authority.ca) });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2', ':authority': `localhost:${edge.tlsPort}` });
        let status = 0;
        let body = '';
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        stream.on('data', (chunk) => {
          body += chunk;
        });
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
      });
      expect(answer).toEqual({ status: 200, body: 'b1 /h2' });
      expect(session.alpnProtocol).toBe('h2');
    } finally {
      session.close();
    }
    expect(backend.seen.at(-1)?.headers.host).toBe(`localhost:${edge.tlsPort}`);

    const curl = await run('curl', [
      '-sS',
      '--http2',
      '--cacert',
      authority.ca,
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `https://localhost:${edge.tlsPort}/curl`,
    ]);
    expect(curl.stdout).toBe('2 200');
    const http1 = await run('curl', [
      '-sS',
      '--http1.1',
      '--cacert',
      authority.ca,
      '-o',
      '/dev/null',
      '-w',
      '%{http_version} %{http_code}',
      `https://localhost:${edge.tlsPort}/`,
    ]);
    expect(http1.stdout).toBe('1.1 200');

    const nghttp = await run('nghttp', [
      '-v',
      '--no-verify-peer',
      `https://localhost:${edge.tlsPort}/nghttp`,
    ]);
    expect(nghttp.stdout).toMatch(/recv \(stream_id=\d+\) :status: 200/);
    expect(nghttp.stdout).toContain('b1 /nghttp');
  });

  it('keeps WebSockets working over HTTPS (HTTP/1.1)', async () => {
    const socket = new WebSocket(`wss://localhost:${edge.tlsPort}/ws`, { ca: readFileSync(authority.ca) });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('ping'));
      socket.once('message', (data) => resolve(data.toString()));
      socket.once('error', reject);
    });
    socket.close();
    expect(reply).toBe('b1: ping');
  });

  it('TLS 1.2 and 1.3 only; sessions resume', async () => {
    const first = await handshake({ servername: 'web.test' });
    expect(first.getProtocol()).toBe('TLSv1.3');
    const tls12 = await handshake({ servername: 'web.test', maxVersion: 'TLSv1.2' });
    expect(tls12.getProtocol()).toBe('TLSv1.2');
    expect(tls12.getCipher().name).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20)/);
    const session = tls12.getSession();
    tls12.end();
    first.end();
    const resumed = await handshake({ servername: 'web.test', maxVersion: 'TLSv1.2', session });
    expect(resumed.isSessionReused()).toBe(true);
    resumed.end();
    await expect(
      handshake({
        servername: 'web.test',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      }),
    ).rejects.toThrow();
  });

  it('refuses hostile or unknown TLS cleanly and stays up', async () => {
    // Unknown SNI without a default certificate: the handshake fails.
    await expect(handshake({ servername: 'unknown.test' })).rejects.toThrow();
    await expect(handshake({})).rejects.toThrow();
    // Plain HTTP on the TLS port: a clear-text 400.
    const plain = await rawExchange(edge.tlsPort!, 'GET / HTTP/1.1\r\nHost: web.test\r\n\r\n');
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    expect(plain).toContain('HTTPS');
    // Garbage before a ClientHello: closed, nothing answered.
    expect(await rawExchange(edge.tlsPort!, '\x00\x01\x02garbage\r\n\r\n')).toBe('');
    // A ClientHello cut short, then silence: closed by the header timeout.
    expect(await rawExchange(edge.tlsPort!, '\x16\x03\x01\x02\x00\x01\x00', 5_000)).toBe('');
    // Headers sent too slowly over TLS (slowloris): closed after the header timeout (2 s).
    const slow = await handshake({ servername: 'web.test', ALPNProtocols: ['http/1.1'] });
    const started = Date.now();
    slow.write('GET / HTTP/1.1\r\nHost: web.test\r\n');
    const drip = setInterval(() => slow.writable && slow.write('X-Drip: 1\r\n'), 300);
    await new Promise((resolve) => slow.once('close', resolve).once('error', () => {}));
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect((await fetchHttps('web.test')).status).toBe(200);
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/wharf_tls_handshake_failures_total\{reason="PLAIN_HTTP"\} 1/);
  });

  it('takes a new certificate file without dropping open connections, and the default for unknown names', async () => {
    const session = http2Connect(`https://localhost:${edge.tlsPort}`, { ca: readFileSync(authority.ca) });
    const before = (await fetchHttps('web.test')).certificate.fingerprint256;
    install('web', ['web.test', 'localhost']);
    install('default', ['edge.test']);
    await eventually(async () =>
      expect((await fetchHttps('web.test')).certificate.fingerprint256).not.toBe(before),
    );
    await eventually(async () =>
      expect(
        (await fetchHttps('unknown.test', '/', { rejectUnauthorized: false })).certificate.subjectaltname,
      ).toBe('DNS:edge.test'),
    );
    // The session opened before the change still carries requests.
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/still' });
      stream.on('response', (headers) => resolve(Number(headers[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
    });
    session.close();
    expect(status).toBe(200);
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /wharf_tls_certificate_expiry_seconds\{name="web",origin="file",source="file"\} \d+/,
    );
    // HAProxy took the new and the changed certificate through its Runtime API: no reload.
    if (dataplane === 'haproxy') expect(metrics).toMatch(/^wharf_edge_haproxy_reloads_total 0$/m);
  });
});

/** Writes raw bytes to a port; resolves with what came back before the edge closed (or `waitMs`). */
function rawExchange(port: number, payload: string, waitMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`${text}(still open)`);
    }, waitMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', () => {});
    socket.write(payload, 'latin1');
  });
}
