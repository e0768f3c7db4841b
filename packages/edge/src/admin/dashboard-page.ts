/**
 * The dashboard page, its style and its script, as strings: the build is plain `tsc`, which
 * copies no assets, and the page must work with nothing from outside the admin listener.
 *
 * The script builds every node with createElement/textContent: hosts, ids, tags, drain reasons
 * and health checks come from etcd and are never parsed as HTML.
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wharf edge</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard.css">
<script src="dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>wharf edge</h1>
  <dl class="status">
    <div><dt>State</dt><dd id="ready" class="badge muted">connecting</dd></div>
    <div><dt>etcd revision</dt><dd id="revision">–</dd></div>
    <div><dt>Sync</dt><dd id="sync">–</dd></div>
    <div><dt>Requests</dt><dd id="total-rate">–</dd></div>
    <div><dt>Stream</dt><dd id="stream" class="badge muted">connecting</dd></div>
  </dl>
</header>
<section class="toolbar">
  <p id="summary">Waiting for the first snapshot…</p>
  <label>Filter <input id="filter" type="search" placeholder="host, path, service or id" autocomplete="off"></label>
</section>
<p id="scope" class="note"></p>
<main id="hosts"></main>
<footer>Rates are requests per second over the last five seconds; 5xx is the share of those answered with a 5xx status.</footer>
</body>
</html>
`;

export const DASHBOARD_STYLE = `:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #69707d; --line: #e1e4ea;
  --ok: #1f7a4d; --ok-bg: #e3f4ea; --warn: #8a5a00; --warn-bg: #fbf0d9;
  --bad: #a52a2a; --bad-bg: #fbe4e4; --info-bg: #e8edf6;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --panel: #1b1f26; --text: #dfe3ea; --muted: #8c94a3; --line: #2c323c;
    --ok: #6fcf97; --ok-bg: #1e3a2b; --warn: #f2c46d; --warn-bg: #3d321c;
    --bad: #f08080; --bad-bg: #442326; --info-bg: #252c38;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; padding: 0 24px 24px; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px;
  padding: 16px 0; border-bottom: 1px solid var(--line);
}
h1 { font-size: 18px; font-weight: 600; margin: 0; letter-spacing: 0.02em; }
.status { display: flex; flex-wrap: wrap; gap: 20px; margin: 0; }
.status div { display: flex; flex-direction: column; }
.status dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
.status dd { margin: 2px 0 0; font-variant-numeric: tabular-nums; font-weight: 500; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px; margin: 14px 0 6px; }
.toolbar p { margin: 0; color: var(--muted); }
.toolbar input {
  margin-left: 6px; padding: 5px 8px; width: 260px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--panel); color: var(--text); font: inherit;
}
.note { color: var(--muted); margin: 0 0 10px; font-size: 13px; }
.note:empty { display: none; }
section.host {
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin: 12px 0; overflow-x: auto;
}
section.host h2 {
  font-size: 15px; font-weight: 600; margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line);
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
/* Narrow windows scroll a host's table sideways rather than crushing its first column. */
table { width: 100%; min-width: 920px; border-collapse: collapse; table-layout: fixed; }
th:nth-child(2) { width: 180px; } th:nth-child(3) { width: 22%; } th:nth-child(4) { width: 24%; }
th:nth-child(5) { width: 84px; } th:nth-child(6) { width: 76px; }
td { overflow-wrap: anywhere; }
th, td { text-align: left; padding: 6px 14px; vertical-align: top; border-bottom: 1px solid var(--line); }
th { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); font-weight: 500; }
tr:last-child td { border-bottom: none; }
tr.route td { background: var(--info-bg); font-weight: 500; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.sub { display: block; color: var(--muted); font-size: 12px; font-weight: 400; }
.tags { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 3px; }
.tag { font-size: 11px; padding: 0 6px; border-radius: 4px; background: var(--info-bg); color: var(--muted); }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--info-bg); color: var(--muted); white-space: nowrap;
}
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.error { color: var(--bad); font-weight: 600; }
.empty { padding: 24px; text-align: center; color: var(--muted); }
footer { margin-top: 18px; color: var(--muted); font-size: 12px; }
[hidden] { display: none !important; }
`;

export const DASHBOARD_SCRIPT = `'use strict';
(function () {
  var byId = function (id) { return document.getElementById(id); };
  var state = { table: null, status: null, rates: {}, backends: {}, lastMessageAt: 0, routeCells: new Map(), endpointCells: [], healthCells: [] };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function badge(text, tone) { return el('span', 'badge ' + tone, text); }
  function setBadge(node, text, tone) { node.textContent = text; node.className = 'badge ' + tone; }

  function count(n, noun) { return n + ' ' + noun + (n === 1 ? '' : 's'); }
  function formatRate(value) {
    if (!value) return '0';
    return value < 10 ? value.toFixed(1) : String(Math.round(value));
  }
  function formatShare(value) {
    if (value === null || value === undefined) return '–';
    return (value * 100).toFixed(value > 0 && value < 0.001 ? 2 : 1) + '%';
  }
  function formatAge(seconds) {
    if (seconds < 60) return Math.round(seconds) + ' s';
    if (seconds < 3600) return Math.round(seconds / 60) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }
  function since(iso) {
    var at = Date.parse(iso);
    return Number.isFinite(at) ? formatAge(Math.max(0, (Date.now() - at) / 1000)) : '';
  }

  function renderStatus() {
    var status = state.status;
    if (!status) return;
    setBadge(byId('ready'), status.ready ? 'ready' : 'not ready', status.ready ? 'ok' : 'warn');
    byId('revision').textContent = String(status.revision);
    var sync = byId('sync');
    if (status.syncAgeSeconds === null) { sync.textContent = 'never synced'; sync.className = 'error'; }
    else if (status.syncAgeSeconds === 0) { sync.textContent = 'live'; sync.className = ''; }
    else { sync.textContent = formatAge(status.syncAgeSeconds) + ' behind'; sync.className = status.syncAgeSeconds > 10 ? 'error' : ''; }
    var scope = byId('scope');
    scope.textContent = status.scope === 'cluster'
      ? 'Clustered edge (' + status.workers + ' workers): rates sum every worker; the table and backend health are one worker\\'s view.'
      : '';
  }

  function matches(filter, host, route, endpoint) {
    if (!filter) return true;
    var text = [host, route.pathPrefix].concat(endpoint ? [endpoint.service, endpoint.id, endpoint.address + ':' + endpoint.port] : []).join(' ').toLowerCase();
    return text.indexOf(filter) >= 0;
  }

  function healthCell(endpoint) {
    var cell = el('td');
    if (endpoint.health) {
      var passing = endpoint.health.status === 'passing';
      cell.appendChild(badge(endpoint.health.status, passing ? 'ok' : 'warn'));
      var check = el('span', 'sub', endpoint.health.check);
      cell.appendChild(check);
      state.healthCells.push({ node: check, check: endpoint.health.check, since: endpoint.health.since });
    } else {
      cell.appendChild(badge('registered', 'muted'));
    }
    var passive = el('span', 'sub');
    cell.appendChild(passive);
    state.endpointCells.push({ backend: endpoint.backend, passive: passive });
    return cell;
  }

  function renderTable() {
    var table = state.table;
    var container = byId('hosts');
    var filter = byId('filter').value.trim().toLowerCase();
    state.routeCells = new Map();
    state.endpointCells = [];
    state.healthCells = [];
    if (!table) return;
    var hosts = 0, routes = 0, endpoints = 0, serving = 0, draining = 0;
    var sections = [];
    table.hosts.forEach(function (host) {
      var rows = [];
      host.routes.forEach(function (route) {
        routes += 1;
        var visible = route.endpoints.filter(function (endpoint) { return matches(filter, host.host, route, endpoint); });
        route.endpoints.forEach(function (endpoint) {
          endpoints += 1;
          if (endpoint.state === 'serving') serving += 1; else draining += 1;
        });
        if (!matches(filter, host.host, route) && visible.length === 0) return;
        if (visible.length === 0) visible = route.endpoints;
        var routeRow = el('tr', 'route');
        routeRow.dataset.route = route.id;
        var pathCell = el('td', 'mono', route.pathPrefix);
        if (route.operatorRoutes.length > 0) {
          pathCell.appendChild(el('span', 'sub', 'route ' + route.operatorRoutes.map(function (r) { return r.id + ' → ' + r.service; }).join(', ')));
        }
        routeRow.appendChild(pathCell);
        var summaryCell = el('td');
        summaryCell.colSpan = 3;
        var servingHere = route.endpoints.filter(function (endpoint) { return endpoint.state === 'serving'; }).length;
        summaryCell.appendChild(badge(route.routable ? 'routable' : 'no serving endpoint (503)', route.routable ? 'ok' : 'bad'));
        summaryCell.appendChild(el('span', 'sub', servingHere + ' of ' + count(route.endpoints.length, 'endpoint') + ' serving'));
        routeRow.appendChild(summaryCell);
        var rpsCell = el('td', 'num rps', '–');
        var errorCell = el('td', 'num errors', '–');
        routeRow.appendChild(rpsCell);
        routeRow.appendChild(errorCell);
        state.routeCells.set(route.id, { rps: rpsCell, errors: errorCell });
        rows.push(routeRow);
        visible.forEach(function (endpoint) {
          var row = el('tr', 'endpoint');
          row.dataset.endpoint = endpoint.key;
          row.dataset.state = endpoint.state;
          var idCell = el('td');
          idCell.appendChild(el('span', 'mono', endpoint.id));
          idCell.appendChild(el('span', 'sub', endpoint.service + (endpoint.node ? ' on ' + endpoint.node : '')));
          if (endpoint.tags.length > 0) {
            var tags = el('span', 'tags');
            endpoint.tags.forEach(function (tag) { tags.appendChild(el('span', 'tag', tag)); });
            idCell.appendChild(tags);
          }
          row.appendChild(idCell);
          var addressCell = el('td', 'mono', endpoint.backend);
          addressCell.appendChild(el('span', 'sub', 'weight ' + endpoint.weight));
          row.appendChild(addressCell);
          var stateCell = el('td');
          stateCell.appendChild(badge(endpoint.state, endpoint.state === 'serving' ? 'ok' : 'warn'));
          if (endpoint.drain) {
            stateCell.appendChild(el('span', 'sub drain', 'drained by operator' + (endpoint.drain.reason ? ': ' + endpoint.drain.reason : '')));
          }
          row.appendChild(stateCell);
          row.appendChild(healthCell(endpoint));
          row.appendChild(el('td', 'num'));
          row.appendChild(el('td', 'num'));
          rows.push(row);
        });
      });
      if (rows.length === 0) return;
      hosts += 1;
      var section = el('section', 'host');
      section.dataset.host = host.host;
      section.appendChild(el('h2', null, host.host));
      var tableNode = el('table');
      var head = el('thead');
      var headRow = el('tr');
      [['Path / endpoint', ''], ['Address', ''], ['State', ''], ['Health', ''], ['Req/s', 'num'], ['5xx', 'num']].forEach(function (column) {
        headRow.appendChild(el('th', column[1], column[0]));
      });
      head.appendChild(headRow);
      tableNode.appendChild(head);
      var body = el('tbody');
      rows.forEach(function (row) { body.appendChild(row); });
      tableNode.appendChild(body);
      section.appendChild(tableNode);
      sections.push(section);
    });
    if (sections.length === 0) {
      sections.push(el('p', 'empty', table.hosts.length === 0 ? 'No routes: nothing registered with a Host yet.' : 'Nothing matches the filter.'));
    }
    container.replaceChildren.apply(container, sections);
    byId('summary').textContent = count(table.hosts.length, 'host') + ' · ' + count(routes, 'route') + ' · ' + count(endpoints, 'endpoint') + ' (' + serving + ' serving, ' + draining + ' draining)';
    renderRates();
  }

  function renderRates() {
    var total = 0;
    Object.keys(state.rates).forEach(function (route) { total += state.rates[route].requestsPerSecond; });
    byId('total-rate').textContent = formatRate(total) + ' req/s';
    state.routeCells.forEach(function (cells, route) {
      var rate = state.rates[route];
      cells.rps.textContent = rate ? formatRate(rate.requestsPerSecond) : '0';
      cells.rps.title = rate ? rate.requests + ' requests since start' : 'no requests yet';
      cells.errors.textContent = rate ? formatShare(rate.errorShare) : '–';
      cells.errors.title = rate ? rate.errors + ' answered 5xx since start' : '';
      cells.errors.classList.toggle('error', Boolean(rate && rate.errorShare > 0));
    });
    state.healthCells.forEach(function (cells) {
      var age = since(cells.since);
      cells.node.textContent = cells.check + (age ? ' · for ' + age : '');
    });
    var now = Date.now();
    state.endpointCells.forEach(function (cells) {
      var backend = state.backends[cells.backend];
      var parts = [];
      if (backend) {
        if (backend.active > 0) parts.push(backend.active + ' in flight');
        if (backend.ejectedUntil && Date.parse(backend.ejectedUntil) > now) parts.push('ejected for ' + formatAge((Date.parse(backend.ejectedUntil) - now) / 1000));
        if (backend.consecutiveFailures > 0) parts.push(backend.consecutiveFailures + ' failures in a row');
      }
      cells.passive.textContent = parts.join(' · ');
      cells.passive.className = 'sub' + (backend && backend.ejectedUntil ? ' error' : '');
    });
  }

  function onMessage(message) {
    state.lastMessageAt = Date.now();
    setBadge(byId('stream'), 'live', 'ok');
    if (message.type === 'snapshot') {
      state.status = message.status;
      state.table = message.table;
      state.rates = message.tick.rates;
      state.backends = message.tick.backends;
      renderStatus();
      renderTable();
    } else if (message.type === 'table') {
      state.status = message.status;
      state.table = message.table;
      renderStatus();
      renderTable();
    } else if (message.type === 'tick') {
      state.status = message.status;
      state.rates = message.rates;
      state.backends = message.backends;
      renderStatus();
      renderRates();
    }
  }

  function connect() {
    var source = new EventSource('events');
    ['snapshot', 'table', 'tick'].forEach(function (type) {
      source.addEventListener(type, function (event) {
        try { onMessage(JSON.parse(event.data)); } catch (error) { console.error('dashboard: bad message', error); }
      });
    });
    source.onerror = function () { setBadge(byId('stream'), 'reconnecting', 'warn'); };
  }

  // A stream that went quiet (the edge is gone, a proxy swallowed it) must not look live.
  setInterval(function () {
    if (state.lastMessageAt > 0 && Date.now() - state.lastMessageAt > 5000) setBadge(byId('stream'), 'stale', 'bad');
  }, 1000);
  byId('filter').addEventListener('input', renderTable);
  connect();
})();
`;
