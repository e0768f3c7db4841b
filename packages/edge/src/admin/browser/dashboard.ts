// The dashboard page's script, served as `/dashboard.js` (an ES module, `script-src 'self'`).
// Every node is built with createElement/textContent: hosts, ids, tags, drain reasons and
// health checks come from etcd and are never parsed as HTML.
import type {
  DashboardBackend,
  DashboardEndpoint,
  DashboardMessage,
  DashboardRoute,
  DashboardStatus,
  DashboardTable,
  RouteRate,
} from './dashboard-protocol.js';

type Tone = 'ok' | 'warn' | 'bad' | 'muted';

interface RouteCells {
  readonly rps: HTMLElement;
  readonly errors: HTMLElement;
}

const state = {
  table: null as DashboardTable | null,
  status: null as DashboardStatus | null,
  rates: {} as Readonly<Record<string, RouteRate>>,
  backends: {} as Readonly<Record<string, DashboardBackend>>,
  lastMessageAt: 0,
  routeCells: new Map<string, RouteCells>(),
  endpointCells: [] as { backend: string; passive: HTMLElement }[],
  healthCells: [] as { node: HTMLElement; check: string; since: string }[],
};

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`dashboard: #${id} is missing`);
  return node as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string | null,
  text?: string | number | null,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

const badge = (text: string, tone: Tone) => el('span', `badge ${tone}`, text);

function setBadge(node: HTMLElement, text: string, tone: Tone): void {
  node.textContent = text;
  node.className = `badge ${tone}`;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function formatRate(value: number): string {
  if (!value) return '0';
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

function formatShare(value: number | null): string {
  if (value === null) return '–';
  return `${(value * 100).toFixed(value > 0 && value < 0.001 ? 2 : 1)}%`;
}

function formatAge(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function since(iso: string): string {
  const at = Date.parse(iso);
  return Number.isFinite(at) ? formatAge(Math.max(0, (Date.now() - at) / 1000)) : '';
}

function renderStatus(): void {
  const status = state.status;
  if (!status) return;
  setBadge(byId('ready'), status.ready ? 'ready' : 'not ready', status.ready ? 'ok' : 'warn');
  byId('revision').textContent = String(status.revision);
  const sync = byId('sync');
  if (status.syncAgeSeconds === null) {
    sync.textContent = 'never synced';
    sync.className = 'error';
  } else if (status.syncAgeSeconds === 0) {
    sync.textContent = 'live';
    sync.className = '';
  } else {
    sync.textContent = `${formatAge(status.syncAgeSeconds)} behind`;
    sync.className = status.syncAgeSeconds > 10 ? 'error' : '';
  }
  byId('scope').textContent =
    status.scope === 'cluster'
      ? `Clustered edge (${status.workers} workers): rates sum every worker; the table and backend health are one worker's view.`
      : '';
}

function matches(filter: string, host: string, route: DashboardRoute, endpoint?: DashboardEndpoint): boolean {
  if (!filter) return true;
  const parts = [host, route.pathPrefix];
  if (endpoint) parts.push(endpoint.service, endpoint.id, `${endpoint.address}:${endpoint.port}`);
  return parts.join(' ').toLowerCase().includes(filter);
}

function healthCell(endpoint: DashboardEndpoint): HTMLTableCellElement {
  const cell = el('td');
  if (endpoint.health) {
    cell.appendChild(badge(endpoint.health.status, endpoint.health.status === 'passing' ? 'ok' : 'warn'));
    const check = el('span', 'sub', endpoint.health.check);
    cell.appendChild(check);
    state.healthCells.push({ node: check, check: endpoint.health.check, since: endpoint.health.since });
  } else {
    cell.appendChild(badge('registered', 'muted'));
  }
  const passive = el('span', 'sub');
  cell.appendChild(passive);
  state.endpointCells.push({ backend: endpoint.backend, passive });
  return cell;
}

function routeSummary(route: DashboardRoute): HTMLTableCellElement {
  const cell = el('td');
  cell.colSpan = 3;
  const serving = route.endpoints.filter((endpoint) => endpoint.state === 'serving').length;
  if (route.routable) cell.appendChild(badge('routable', 'ok'));
  else if (route.heldUntil) cell.appendChild(badge('waiting for an endpoint (503)', 'warn'));
  else cell.appendChild(badge('no serving endpoint (503)', 'bad'));
  cell.appendChild(el('span', 'sub', `${serving} of ${count(route.endpoints.length, 'endpoint')} serving`));
  return cell;
}

function endpointRow(endpoint: DashboardEndpoint): HTMLTableRowElement {
  const row = el('tr', 'endpoint');
  row.dataset.endpoint = endpoint.key;
  row.dataset.state = endpoint.state;
  const idCell = el('td');
  idCell.appendChild(el('span', 'mono', endpoint.id));
  idCell.appendChild(el('span', 'sub', endpoint.service + (endpoint.node ? ` on ${endpoint.node}` : '')));
  if (endpoint.tags.length > 0) {
    const tags = el('span', 'tags');
    for (const tag of endpoint.tags) tags.appendChild(el('span', 'tag', tag));
    idCell.appendChild(tags);
  }
  row.appendChild(idCell);
  const addressCell = el('td', 'mono', endpoint.backend);
  addressCell.appendChild(el('span', 'sub', `weight ${endpoint.weight}`));
  row.appendChild(addressCell);
  const stateCell = el('td');
  stateCell.appendChild(badge(endpoint.state, endpoint.state === 'serving' ? 'ok' : 'warn'));
  if (endpoint.drain) {
    const reason = endpoint.drain.reason ? `: ${endpoint.drain.reason}` : '';
    stateCell.appendChild(el('span', 'sub drain', `drained by operator${reason}`));
  }
  row.appendChild(stateCell);
  row.appendChild(healthCell(endpoint));
  row.appendChild(el('td', 'num'));
  row.appendChild(el('td', 'num'));
  return row;
}

function hostSection(host: string, rows: readonly HTMLTableRowElement[]): HTMLElement {
  const section = el('section', 'host');
  section.dataset.host = host;
  section.appendChild(el('h2', null, host));
  const table = el('table');
  const head = el('thead');
  const headRow = el('tr');
  for (const [label, className] of [
    ['Path / endpoint', ''],
    ['Address', ''],
    ['State', ''],
    ['Health', ''],
    ['Req/s', 'num'],
    ['5xx', 'num'],
  ] as const) {
    headRow.appendChild(el('th', className, label));
  }
  head.appendChild(headRow);
  table.appendChild(head);
  const body = el('tbody');
  for (const row of rows) body.appendChild(row);
  table.appendChild(body);
  section.appendChild(table);
  return section;
}

function renderTable(): void {
  const table = state.table;
  const filter = byId<HTMLInputElement>('filter').value.trim().toLowerCase();
  state.routeCells = new Map();
  state.endpointCells = [];
  state.healthCells = [];
  if (!table) return;
  let routes = 0;
  let endpoints = 0;
  let serving = 0;
  let draining = 0;
  const sections: HTMLElement[] = [];
  for (const host of table.hosts) {
    const rows: HTMLTableRowElement[] = [];
    for (const route of host.routes) {
      routes += 1;
      for (const endpoint of route.endpoints) {
        endpoints += 1;
        if (endpoint.state === 'serving') serving += 1;
        else draining += 1;
      }
      let visible: readonly DashboardEndpoint[] = route.endpoints.filter((endpoint) =>
        matches(filter, host.host, route, endpoint),
      );
      if (!matches(filter, host.host, route) && visible.length === 0) continue;
      if (visible.length === 0) visible = route.endpoints;
      const routeRow = el('tr', 'route');
      routeRow.dataset.route = route.id;
      const pathCell = el('td', 'mono', route.pathPrefix);
      if (route.operatorRoutes.length > 0) {
        const names = route.operatorRoutes.map(
          (operatorRoute) => `${operatorRoute.id} → ${operatorRoute.service}`,
        );
        pathCell.appendChild(el('span', 'sub', `route ${names.join(', ')}`));
      }
      routeRow.appendChild(pathCell);
      routeRow.appendChild(routeSummary(route));
      const rps = el('td', 'num rps', '–');
      const errors = el('td', 'num errors', '–');
      routeRow.appendChild(rps);
      routeRow.appendChild(errors);
      state.routeCells.set(route.id, { rps, errors });
      rows.push(routeRow);
      for (const endpoint of visible) rows.push(endpointRow(endpoint));
    }
    if (rows.length > 0) sections.push(hostSection(host.host, rows));
  }
  if (sections.length === 0) {
    const empty =
      table.hosts.length === 0
        ? 'No routes: nothing registered with a Host yet.'
        : 'Nothing matches the filter.';
    sections.push(el('p', 'empty', empty));
  }
  byId('hosts').replaceChildren(...sections);
  byId('summary').textContent =
    `${count(table.hosts.length, 'host')} · ${count(routes, 'route')} · ` +
    `${count(endpoints, 'endpoint')} (${serving} serving, ${draining} draining)`;
  renderRates();
}

function renderRates(): void {
  let total = 0;
  for (const rate of Object.values(state.rates)) total += rate.requestsPerSecond;
  byId('total-rate').textContent = `${formatRate(total)} req/s`;
  for (const [route, cells] of state.routeCells) {
    const rate = state.rates[route];
    cells.rps.textContent = rate ? formatRate(rate.requestsPerSecond) : '0';
    cells.rps.title = rate ? `${rate.requests} requests since start` : 'no requests yet';
    cells.errors.textContent = rate ? formatShare(rate.errorShare) : '–';
    cells.errors.title = rate ? `${rate.errors} answered 5xx since start` : '';
    cells.errors.classList.toggle('error', Boolean(rate && (rate.errorShare ?? 0) > 0));
  }
  for (const cells of state.healthCells) {
    const age = since(cells.since);
    cells.node.textContent = cells.check + (age ? ` · for ${age}` : '');
  }
  const now = Date.now();
  for (const cells of state.endpointCells) {
    const backend = state.backends[cells.backend];
    const parts: string[] = [];
    if (backend) {
      if (backend.active > 0) parts.push(`${backend.active} in flight`);
      const ejectedUntil = backend.ejectedUntil ? Date.parse(backend.ejectedUntil) : 0;
      if (ejectedUntil > now) parts.push(`ejected for ${formatAge((ejectedUntil - now) / 1000)}`);
      if (backend.consecutiveFailures > 0) parts.push(`${backend.consecutiveFailures} failures in a row`);
    }
    cells.passive.textContent = parts.join(' · ');
    cells.passive.className = `sub${backend?.ejectedUntil ? ' error' : ''}`;
  }
}

function onMessage(message: DashboardMessage): void {
  state.lastMessageAt = Date.now();
  setBadge(byId('stream'), 'live', 'ok');
  state.status = message.status;
  if (message.type === 'snapshot') {
    state.table = message.table;
    state.rates = message.tick.rates;
    state.backends = message.tick.backends;
    renderStatus();
    renderTable();
  } else if (message.type === 'table') {
    state.table = message.table;
    renderStatus();
    renderTable();
  } else {
    state.rates = message.rates;
    state.backends = message.backends;
    renderStatus();
    renderRates();
  }
}

function connect(): void {
  const source = new EventSource('events');
  for (const type of ['snapshot', 'table', 'tick']) {
    source.addEventListener(type, (event) => {
      try {
        onMessage(JSON.parse((event as MessageEvent<string>).data) as DashboardMessage);
      } catch (error) {
        console.error('dashboard: bad message', error);
      }
    });
  }
  source.onerror = () => setBadge(byId('stream'), 'reconnecting', 'warn');
}

// A stream that went quiet (the edge is gone, a proxy swallowed it) must not look live.
setInterval(() => {
  if (state.lastMessageAt > 0 && Date.now() - state.lastMessageAt > 5000)
    setBadge(byId('stream'), 'stale', 'bad');
}, 1000);
byId('filter').addEventListener('input', renderTable);
connect();
