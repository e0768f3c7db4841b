import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  /** Base URL of the edge, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Host header to send. */
  readonly host: string;
  readonly path?: string;
  /** Concurrent request loops (default 4). */
  readonly concurrency?: number;
  /** Pause between one loop's requests, in ms (default 5): steady, not flat out, on 2 cores. */
  readonly pauseMs?: number;
  /**
   * Open loop instead: this many requests per second on a fixed schedule, whatever is still in
   * flight. Loops that wait for each answer send nothing while a request hangs, so they hide
   * the requests a hanging backend would have cost; a schedule does not.
   */
  readonly ratePerSecond?: number;
  /** Per-request timeout, in ms (default 5,000). */
  readonly timeoutMs?: number;
}

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Count per status code or error code of the failed requests. */
  readonly failures: Readonly<Record<string, number>>;
  /** The first few failed responses' bodies (or error messages), for diagnosis. */
  readonly samples: readonly string[];
  /** Count per `x-instance` / `x-backend` response header: who served. */
  readonly servedBy: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** The longest any request took, answered or not. */
  readonly slowestMs: number;
  /** When the first and the last failed request were sent, in ms after the start; null if none failed. */
  readonly failedBetweenMs: readonly [number, number] | null;
}

/**
 * Steady HTTP traffic through the edge over keep-alive connections, counting every request that
 * did not get a 2xx. Start it, apply a fault, then `stop()` for the report.
 */
export class SteadyLoad {
  readonly #options: Required<LoadOptions>;
  readonly #agent: Agent;
  readonly #controller = new AbortController();
  readonly #failures: Record<string, number> = {};
  readonly #servedBy: Record<string, number> = {};
  readonly #samples: string[] = [];
  #sent = 0;
  #ok = 0;
  #slowestMs = 0;
  #failedBetweenMs: [number, number] | null = null;
  #loops: Promise<void>[] = [];
  #started = 0;

  constructor(options: LoadOptions) {
    this.#options = { path: '/', concurrency: 4, pauseMs: 5, timeoutMs: 5_000, ratePerSecond: 0, ...options };
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: this.#options.ratePerSecond > 0 ? Number.POSITIVE_INFINITY : this.#options.concurrency,
    });
  }

  static start(options: LoadOptions): SteadyLoad {
    const load = new SteadyLoad(options);
    load.#started = Date.now();
    load.#loops =
      load.#options.ratePerSecond > 0
        ? [load.#schedule()]
        : Array.from({ length: load.#options.concurrency }, () => load.#loop());
    return load;
  }

  get sent(): number {
    return this.#sent;
  }

  get ok(): number {
    return this.#ok;
  }

  /** Who has served so far (same as the report's `servedBy`). */
  get servedByNow(): Readonly<Record<string, number>> {
    return this.#servedBy;
  }

  get failed(): number {
    return this.#sent - this.#ok;
  }

  async #loop(): Promise<void> {
    const signal = this.#controller.signal;
    while (!signal.aborted) {
      await this.#request();
      await sleep(this.#options.pauseMs, undefined, { signal }).catch(() => {});
    }
  }

  /** Open loop: request number n leaves at start + n / rate, never later because of another. */
  async #schedule(): Promise<void> {
    const signal = this.#controller.signal;
    const inFlight = new Set<Promise<void>>();
    const intervalMs = 1_000 / this.#options.ratePerSecond;
    for (let next = Date.now(); !signal.aborted; next += intervalMs) {
      const request = this.#request().finally(() => inFlight.delete(request));
      inFlight.add(request);
      await sleep(Math.max(0, next + intervalMs - Date.now()), undefined, { signal }).catch(() => {});
    }
    await Promise.all(inFlight);
  }

  async #request(): Promise<void> {
    this.#sent += 1;
    const started = performance.now();
    const sentAtMs = Date.now() - this.#started;
    const outcome = await this.#once();
    this.#slowestMs = Math.max(this.#slowestMs, performance.now() - started);
    if (outcome.ok) {
      this.#ok += 1;
      if (outcome.servedBy) this.#servedBy[outcome.servedBy] = (this.#servedBy[outcome.servedBy] ?? 0) + 1;
    } else {
      this.#failures[outcome.reason] = (this.#failures[outcome.reason] ?? 0) + 1;
      this.#failedBetweenMs = [this.#failedBetweenMs?.[0] ?? sentAtMs, sentAtMs];
      // Keep a few of each kind, so connection errors cannot hide an HTTP answer.
      const sample = `${outcome.reason} ${outcome.detail}`;
      if (this.#samples.filter((seen) => seen.startsWith(`${outcome.reason} `)).length < 2) {
        this.#samples.push(sample);
      }
    }
  }

  #once(): Promise<{ ok: true; servedBy?: string } | { ok: false; reason: string; detail: string }> {
    const url = new URL(this.#options.path, this.#options.url);
    return new Promise((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          headers: { host: this.#options.host },
          agent: this.#agent,
          timeout: this.#options.timeoutMs,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 300) body += chunk;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const servedBy = res.headers['x-instance'] ?? res.headers['x-backend'];
            resolve(
              status >= 200 && status < 300
                ? { ok: true, servedBy: typeof servedBy === 'string' ? servedBy : undefined }
                : { ok: false, reason: failureReason(status, res.headers), detail: body.slice(0, 300) },
            );
          });
          res.on('error', (error: NodeJS.ErrnoException) =>
            resolve({ ok: false, reason: error.code ?? 'error', detail: error.message }),
          );
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, reason: error.code ?? 'error', detail: error.message }),
      );
      req.end();
    });
  }

  /** Stops sending, waits for requests in flight, and reports. */
  async stop(): Promise<LoadReport> {
    this.#controller.abort();
    await Promise.all(this.#loops);
    this.#agent.destroy();
    return {
      sent: this.#sent,
      ok: this.#ok,
      failed: this.#sent - this.#ok,
      failures: { ...this.#failures },
      samples: [...this.#samples],
      servedBy: { ...this.#servedBy },
      durationMs: Date.now() - this.#started,
      slowestMs: Math.round(this.#slowestMs),
      failedBetweenMs: this.#failedBetweenMs,
    };
  }
}

/**
 * A failed response's reason: its status, and for a 503 whether it says when to ask again (a
 * 503 without `Retry-After` is counted apart, so a suite can require it).
 */
function failureReason(status: number, headers: IncomingHttpHeaders): string {
  return status === 503 && headers['retry-after'] === undefined ? '503 without Retry-After' : String(status);
}
