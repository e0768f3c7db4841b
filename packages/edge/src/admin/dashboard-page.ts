/**
 * The dashboard page and its style, as strings: the build is plain `tsc`, which copies no
 * assets, and the page must work with nothing from outside the admin listener. Its script is a
 * module of its own (`browser/dashboard.ts`, compiled for the browser).
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wharf edge</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="dashboard.css">
<script type="module" src="dashboard.js"></script>
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
