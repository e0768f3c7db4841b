import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { encodeRecord, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { drainRecord, endpointValue } from '../support/records.js';
import { eventually } from '../support/wait.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const HOSTILE = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>window.__pwned = true</script>';
const suffix = process.pid;

/** Debian's chromium, headless, with nothing that reaches out to the network by itself. */
function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Keeps requests flowing through the edge until stopped, so rates stay up while the page is read. */
function steadyLoad(edgeUrl: string, host: string, path = '/'): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      await get(edgeUrl, host, path);
      sent += 1;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return sent;
    },
  };
}

/** Fails the test from the page: dialogs (a script that ran) and page errors are collected. */
function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:')) problems.push(`external request: ${request.url()}`);
  });
  return problems;
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** An endpoint record as a bridge writes it, with a passing HTTP check; returns its key. */
async function putEndpoint(
  client: Etcd3,
  layout: KeyLayout,
  service: string,
  id: string,
  port: number,
  options: { host: string; pathPrefix?: string; state?: 'serving' | 'draining'; tags?: string[] },
): Promise<string> {
  const key = layout.endpointKey(service, id);
  const now = new Date().toISOString();
  await client.put(key).value(
    endpointValue({
      service,
      id,
      port,
      tags: options.tags ?? ['zone=eu-1a'],
      routes: [{ host: options.host, pathPrefix: options.pathPrefix ?? '/' }],
      state: options.state ?? 'serving',
      health: { check: 'http GET /health', status: 'passing', since: now },
      registeredAt: now,
    }),
  );
  return key;
}

describe('edge dashboard in a real browser (real etcd, edge as a child process)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let browser: Browser;
  const edges: EdgeProcess[] = [];
  const backends: TestBackend[] = [];

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });
  beforeAll(async () => {
    browser = await launchBrowser();
    for (const name of ['a', 'b', 'c']) backends.push(await TestBackend.start(name));
  });
  afterAll(async () => {
    await browser?.close();
    for (const edge of edges) await edge.kill();
    for (const backend of backends) await backend.close();
  });

  it('shows endpoints, rates and drains live, without a reload', async () => {
    const layout = new KeyLayout(`/wharf-dashboard-${suffix}`);
    const edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_ROUTE_GRACE: '0' },
    });
    edges.push(edge);
    const [a, b, c] = backends as [TestBackend, TestBackend, TestBackend];
    const shop = `shop-${suffix}.test`;
    const api = `api-${suffix}.test`;
    // Something already registered before the page opens: it arrives in the snapshot.
    await putEndpoint(client, layout, 'api', 'node1:api-1:8080', c.port, { host: api, pathPrefix: '/v1' });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems = watchPage(page);
    await page.goto(`${edge.adminUrl}/`);
    await page.evaluate(() => {
      (globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    await eventually(async () => expect(await text(page, '#stream')).toBe('live'));
    await eventually(async () => expect(await text(page, '#ready')).toBe('ready'));
    await eventually(async () => expect(await text(page, '#sync')).toBe('live'));
    await page.locator(`section[data-host="${api}"] tr.route[data-route="${api}/v1"]`).waitFor();

    // A new endpoint appears without a reload.
    const webKey = await putEndpoint(client, layout, 'shop', 'node1:shop-1:8080', a.port, { host: shop });
    await putEndpoint(client, layout, 'shop', 'node2:shop-2:8080', b.port, { host: shop });
    const row = page.locator(`tr.endpoint[data-endpoint="${webKey}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('serving');
    expect(await row.locator('.badge').first().textContent()).toBe('serving');
    expect(await row.locator('td').nth(3).textContent()).toContain('http GET /health');
    const revision = Number((await client.get(webKey).exec()).header.revision);
    await eventually(async () =>
      expect(Number(await text(page, '#revision'))).toBeGreaterThanOrEqual(revision),
    );

    // Requests through the edge show up as a non-zero rate on that route.
    // One in four API requests fails upstream.
    let apiRequests = 0;
    c.handler = (_req, res) => {
      apiRequests += 1;
      res.statusCode = apiRequests % 4 === 0 ? 500 : 200;
      res.end('api');
    };
    const load = steadyLoad(edge.url, shop);
    const apiLoad = steadyLoad(edge.url, api, '/v1/items');
    try {
      const rps = page.locator(`tr.route[data-route="${shop}/"] td.rps`);
      await eventually(async () => expect(Number(await rps.textContent())).toBeGreaterThan(0), 15_000);
      await eventually(async () => expect(await text(page, '#total-rate')).not.toBe('0 req/s'));
      expect(await text(page, `tr.route[data-route="${shop}/"] td.errors`)).toBe('0.0%');
      await eventually(async () => {
        const share = Number.parseFloat(
          (await text(page, `tr.route[data-route="${api}/v1"] td.errors`)) ?? '',
        );
        expect(share).toBeGreaterThan(10);
        expect(share).toBeLessThan(40);
      }, 15_000);

      // Draining (the bridge rewrites the record; an operator drain key explains why).
      await client
        .put(layout.drainKey('node1:shop-1:8080'))
        .value(
          encodeRecord(
            drainRecord({ service: 'shop', reason: 'kernel upgrade', at: new Date().toISOString() }),
          ),
        );
      await putEndpoint(client, layout, 'shop', 'node1:shop-1:8080', a.port, {
        host: shop,
        state: 'draining',
      });
      await eventually(async () => expect(await row.getAttribute('data-state')).toBe('draining'));
      expect(await row.locator('.badge').first().textContent()).toBe('draining');
      await eventually(async () =>
        expect(await row.locator('.drain').textContent()).toBe('drained by operator: kernel upgrade'),
      );
      expect(await text(page, '#summary')).toBe('2 hosts · 2 routes · 3 endpoints (2 serving, 1 draining)');
      // Rates keep coming for the route after the table changed under them.
      await eventually(async () => expect(Number(await rps.textContent())).toBeGreaterThan(0));

      // The filter narrows the view to matching hosts, routes or endpoints, and back.
      // An instance id: the host name carries the pid, which may itself contain "shop-2".
      await page.fill('#filter', 'node2:shop-2');
      // The page redraws on input and on every stream message; wait for the filtered view.
      await eventually(async () => expect(await page.locator('tr.endpoint').count()).toBe(1));
      expect(await page.locator('tr.endpoint').getAttribute('data-endpoint')).toBe(
        layout.endpointKey('shop', 'node2:shop-2:8080'),
      );
      await page.fill('#filter', '');
      await eventually(async () => expect(await page.locator('tr.endpoint').count()).toBe(3));

      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
      await page.setViewportSize({ width: 720, height: 800 });
      await page.screenshot({ path: `${ARTIFACTS}dashboard-narrow.png`, fullPage: true });
    } finally {
      expect(await load.stop()).toBeGreaterThan(0);
      await apiLoad.stop();
      c.handler = undefined;
    }

    // The last endpoint leaving takes the route away, still on the same document.
    await client.delete().prefix(layout.prefix);
    await eventually(async () => expect(await page.locator(`section[data-host="${shop}"]`).count()).toBe(0));
    expect(
      await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    expect(problems).toEqual([]);
    // An open dashboard stream does not hold the edge's shutdown up.
    const stopping = Date.now();
    expect(await edge.stop()).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    await eventually(async () => expect(await text(page, '#stream')).not.toBe('live'));
    await page.close();
  });

  it('shows hostile values from etcd as text', async () => {
    const layout = new KeyLayout(`/wharf-dashboard-hostile-${suffix}`);
    const edge = await EdgeProcess.start({ etcd: etcd.endpoint, prefix: layout.prefix });
    edges.push(edge);
    const host = `hostile-${suffix}.test`;
    const id = 'node1:evil-1:8080';
    const key = layout.endpointKey('evil', id);
    await client.put(key).value(
      endpointValue({
        service: 'evil',
        id,
        port: backends[0]!.port,
        bridge: 'b1',
        tags: [HOSTILE, SCRIPT],
        routes: [{ host, pathPrefix: '/' }],
        health: { check: HOSTILE, status: '<b>up</b>', since: new Date().toISOString() },
        registeredAt: new Date().toISOString(),
      }),
    );
    await client
      .put(layout.drainKey(id))
      .value(encodeRecord(drainRecord({ service: 'evil', reason: HOSTILE, at: new Date().toISOString() })));
    // A hostile host is refused by record validation: it never reaches the page at all.
    await client.put(layout.endpointKey('evil', 'node1:evil-2:8080')).value(
      endpointValue({
        service: 'evil',
        id: 'node1:evil-2:8080',
        port: backends[1]!.port,
        bridge: 'b1',
        routes: [{ host: HOSTILE, pathPrefix: '/' }],
        registeredAt: new Date().toISOString(),
      }),
    );

    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(`${edge.adminUrl}/`);
    const row = page.locator(`tr.endpoint[data-endpoint="${key}"]`);
    await row.waitFor();
    expect(await row.locator('.tag').allTextContents()).toEqual([HOSTILE, SCRIPT]);
    expect(await row.locator('.drain').textContent()).toBe(`drained by operator: ${HOSTILE}`);
    expect(await row.locator('td').nth(3).textContent()).toContain(HOSTILE);
    expect(await row.locator('td').nth(3).textContent()).toContain('<b>up</b>');
    expect(await page.locator('b').count()).toBe(0);
    // Parsed as markup these would be elements; as text they are not.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: boolean }).__pwned),
    ).toBeUndefined();
    expect(await page.locator('section.host').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works with WHARF_WORKERS=2: table from a worker, rates summed over the cluster', async () => {
    const layout = new KeyLayout(`/wharf-dashboard-cluster-${suffix}`);
    const edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_WORKERS: '2' },
    });
    edges.push(edge);
    const host = `cluster-${suffix}.test`;
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(`${edge.adminUrl}/`);
    await eventually(async () => expect(await text(page, '#stream')).toBe('live'));
    expect(await text(page, '#scope')).toContain('2 workers');

    const key = await putEndpoint(client, layout, 'web', 'node1:web-1:8080', backends[0]!.port, { host });
    await page.locator(`tr.endpoint[data-endpoint="${key}"]`).waitFor({ timeout: 10_000 });
    const load = steadyLoad(edge.url, host);
    try {
      const rps = page.locator(`tr.route[data-route="${host}/"] td.rps`);
      await eventually(async () => expect(Number(await rps.textContent())).toBeGreaterThan(0), 15_000);
    } finally {
      await load.stop();
    }
    expect(problems).toEqual([]);
    await page.close();
  });
  it('shows how far behind etcd the table is while etcd is away, and live again after', async () => {
    const layout = new KeyLayout(`/wharf-dashboard-outage-${suffix}`);
    const edge = await EdgeProcess.start({ etcd: etcd.endpoint, prefix: layout.prefix });
    edges.push(edge);
    const host = `outage-${suffix}.test`;
    const key = await putEndpoint(client, layout, 'web', 'node1:web-1:8080', backends[0]!.port, { host });
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(`${edge.adminUrl}/`);
    await page.locator(`tr.endpoint[data-endpoint="${key}"]`).waitFor();
    await eventually(async () => expect(await text(page, '#sync')).toBe('live'));

    await etcd.stop();
    try {
      await eventually(async () => expect(await text(page, '#sync')).toMatch(/^[1-9]\d* s behind$/), 15_000);
      // The last known table stays on screen, as it stays in the edge.
      expect(await page.locator(`tr.endpoint[data-endpoint="${key}"]`).count()).toBe(1);
      expect(await text(page, '#stream')).toBe('live');
    } finally {
      await etcd.start();
    }
    await eventually(async () => expect(await text(page, '#sync')).toBe('live'), 20_000);
    expect(problems).toEqual([]);
    await page.close();
  });
});
