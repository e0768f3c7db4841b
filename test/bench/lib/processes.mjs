// Every process, container and temp dir a benchmark starts is registered here, so one cleanup
// (normal end, error, Ctrl-C or SIGTERM) removes all of them.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const groups = new Set();
const containers = new Set();
const tempDirs = new Set();

/** A temp dir removed at cleanup. */
export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `wharf-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

/**
 * Spawns `command` as the leader of its own process group (so workers it forks are killed with
 * it), optionally pinned to CPUs with taskset. Output goes to `<logDir>/<name>.log`.
 */
export function start(name, command, args, { env = {}, cpus, logDir, cwd } = {}) {
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
  const child = spawn(file, argv, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logPath = join(logDir ?? tempDir('log'), `${name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  // Neither stream ends the log: a process may close one (dnsmasq closes stdout) and keep writing the other.
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('close', () => log.end());
  const handle = {
    name,
    pid: child.pid,
    logPath,
    exited,
    running: true,
    async stop(signal = 'SIGTERM', graceMs = 3_000) {
      if (!handle.running) return;
      killGroup(child.pid, signal);
      const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) killGroup(child.pid, 'SIGKILL');
      await exited;
      // Workers that outlive their leader still belong to the group.
      killGroup(child.pid, 'SIGKILL');
    },
    log: () => readFileSync(logPath, 'utf8'),
  };
  child.once('exit', () => {
    handle.running = false;
  });
  child.once('error', () => {
    handle.running = false;
  });
  groups.add(handle);
  exited.then(() => groups.delete(handle));
  return handle;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sum of user+system CPU seconds and RSS bytes over every live process in a process group. */
export function groupUsage(pgid) {
  const ticksPerSecond = 100;
  let cpuSeconds = 0;
  let rssBytes = 0;
  let processes = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    processes += 1;
    cpuSeconds += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    rssBytes += Number(fields[21]) * 4096;
  }
  return { cpuSeconds, rssBytes, processes };
}

/**
 * Resident memory of a process group split into anonymous pages (heap, stacks: what the
 * process itself owns) and file-backed pages (mostly the mapped node binary, shared with
 * every other Node process on the host), in bytes.
 */
export function groupMemory(pgid) {
  let anonymous = 0;
  let file = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    let status;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue;
    }
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
    anonymous += Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    file += Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    file += Number(/RssShmem:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  }
  return { anonymous, file, total: anonymous + file };
}

/** Runs a command to completion and returns stdout; throws with stderr on failure. */
export async function run(command, args, options = {}) {
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024, ...options });
  return stdout;
}

/** Registers a container name so cleanup removes it. */
export function trackContainer(name) {
  containers.add(name);
}

export async function removeContainers(names) {
  if (names.length === 0) return;
  await run('docker', ['rm', '-f', '-v', ...names]).catch(() => {});
  for (const name of names) containers.delete(name);
}

/** Stops everything still registered. Safe to call more than once. */
export async function cleanupAll() {
  await Promise.all([...groups].map((handle) => handle.stop('SIGTERM', 2_000)));
  await removeContainers([...containers]);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Last resort when the harness itself exits abruptly: synchronous SIGKILL of every group. */
export function killAllNow() {
  for (const handle of groups) killGroup(handle.pid, 'SIGKILL');
}
