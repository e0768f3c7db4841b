#!/usr/bin/env node
// Discovers the serving endpoints of another service through wharf and calls one of them.
//
//   WHARF_ETCD=http://127.0.0.1:2379 node discover-peers.mjs web
//   WHARF_ETCD=http://127.0.0.1:2379 node discover-peers.mjs web --once   # exit after the first reply
//
// It prints the peer list each time it changes and sends `GET /` to the next peer in turn,
// so stopping, draining or adding instances of `web` shows up here live. Ctrl-C ends it.
import { loadCommonConfig, watchService } from '@wharf/core';

const [service, ...flags] = process.argv.slice(2);
if (!service) {
  console.error('usage: discover-peers.mjs <service> [--once]');
  process.exit(1);
}
const once = flags.includes('--once');
const say = (line) => process.stdout.write(`${line}\n`);

// The same WHARF_ETCD* / WHARF_PREFIX settings as the wharf programs; a bad value stops here
// with one line naming the variable.
let config;
try {
  config = loadCommonConfig(process.env);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());

let turn = 0;
for await (const peers of watchService(service, { signal: controller.signal, config })) {
  say(
    `${service}: ${peers.length} serving: ${peers.map((peer) => `${peer.address}:${peer.port}`).join(' ') || '-'}`,
  );
  if (peers.length === 0) continue;

  // Round-robin over the current set. Real clients would keep using the latest set between
  // changes; this one calls once per change to stay short.
  const peer = peers[turn++ % peers.length];
  const host = peer.address.includes(':') ? `[${peer.address}]` : peer.address;
  try {
    const response = await fetch(`http://${host}:${peer.port}/`, { signal: AbortSignal.timeout(2_000) });
    say(`GET ${peer.id} → ${response.status} ${(await response.text()).trim()}`);
    if (once) controller.abort();
  } catch (error) {
    say(`GET ${peer.id} failed: ${error.message}`);
  }
}
