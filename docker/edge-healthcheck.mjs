// Docker HEALTHCHECK for wharf/edge: exit 0 when the admin listener's /healthz answers 2xx.
// Reads the same WHARF_ADMIN_LISTEN the edge does; a wildcard host is probed on loopback.
const listen = process.env.WHARF_ADMIN_LISTEN || '127.0.0.1:9090';
const colon = listen.lastIndexOf(':');
let host = colon > 0 ? listen.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1';
const port = colon >= 0 ? listen.slice(colon + 1) : listen;
if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
if (host === '::') host = '::1';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  process.exitCode = response.ok ? 0 : 1;
} catch (error) {
  console.error(`edge healthcheck: ${url}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
