// wharf/demo service: the middle tier of the three-tier demo (client → service → memcached).
// It finds memcached through an update command: the bridge runs, inside this container,
//
//   wharf.on-change=echo "$WHARF_MEMCACHED_ADDRS" > /tmp/memcached.addrs && kill -HUP 1
//
// whenever memcached's serving set changes; SIGHUP makes it read the file again. Nothing else
// tells it where memcached is.
//
//   GET /        counts a hit in memcached: "service <instance>: hit <n> (memcached <address>)"
//                503 while no memcached is known or none answers
//   GET /health  200 (it does not depend on memcached: the first update comes once it is registered)
//
// Env: PORT (8080), INSTANCE (hostname), ADDRS_FILE (/tmp/memcached.addrs), SHUTDOWN_DELAY_MS (0).
// The first address that answers is used, so every service instance counts in the same memcached.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { serveTier } from './tier-server.mjs';

const port = Number(process.env.PORT || 8080);
const instance = process.env.INSTANCE || hostname();
const addrsFile = process.env.ADDRS_FILE || '/tmp/memcached.addrs';
const shutdownDelayMs = Number(process.env.SHUTDOWN_DELAY_MS || 0);
const COMMAND_TIMEOUT_MS = 1_000;

function log(message, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), instance, message, ...fields }));
}

let addresses = [];

function readAddresses(reason) {
  let text = '';
  try {
    text = readFileSync(addrsFile, 'utf8');
  } catch {
    // Not written yet: no update command has run.
  }
  addresses = text
    .trim()
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  log('memcached addresses', { reason, addresses });
}

/** One connection to one memcached, commands pipelined: each waits for its one reply line. */
class Memcached {
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.address = address;
    this.socket = connect(Number(address.slice(colon + 1)), address.slice(0, colon).replace(/^\[|\]$/g, ''));
    this.socket.setNoDelay(true);
    this.waiting = [];
    this.buffered = '';
    this.closed = false;
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk) => {
      this.buffered += chunk;
      let end = this.buffered.indexOf('\r\n');
      while (end >= 0) {
        const line = this.buffered.slice(0, end);
        this.buffered = this.buffered.slice(end + 2);
        this.waiting.shift()?.resolve(line);
        end = this.buffered.indexOf('\r\n');
      }
    });
    const fail = (error) => {
      this.closed = true;
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  command(text) {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        reject(new Error('memcached timed out'));
      }, COMMAND_TIMEOUT_MS);
      this.waiting.push({
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(`${text}\r\n`);
    });
  }

  async hit() {
    for (;;) {
      const counted = await this.command('incr hits 1');
      if (/^\d+$/.test(counted)) return Number(counted);
      if (counted !== 'NOT_FOUND') throw new Error(`memcached: ${counted}`);
      const stored = await this.command('add hits 0 0 1\r\n1');
      if (stored === 'STORED') return 1;
      if (stored !== 'NOT_STORED') throw new Error(`memcached: ${stored}`);
    }
  }
}

const connections = new Map();

function connection(address) {
  let known = connections.get(address);
  if (!known || known.closed) {
    known = new Memcached(address);
    connections.set(address, known);
  }
  return known;
}

/** Counts a hit in the first memcached that answers. */
async function countHit() {
  const errors = [];
  for (const address of addresses) {
    try {
      return { hits: await connection(address).hit(), address };
    } catch (error) {
      errors.push(`${address}: ${error.message}`);
    }
  }
  throw new Error(addresses.length === 0 ? 'no memcached known yet' : errors.join('; '));
}

readAddresses('start');
process.on('SIGHUP', () => readAddresses('SIGHUP'));

serveTier({
  port,
  instance,
  shutdownDelayMs,
  log,
  answer: () =>
    countHit().then(
      ({ hits, address }) => ({
        status: 200,
        body: `service ${instance}: hit ${hits} (memcached ${address})\n`,
      }),
      (error) => ({ status: 503, body: `service ${instance}: ${error.message}\n` }),
    ),
});
