// The redbird peer process: one route for bench.local to the shared backend.
import { Redbird } from 'redbird';

const workers = Number(process.env.BENCH_WORKERS ?? '1');
const proxy = new Redbird({
  port: Number(process.env.BENCH_PORT),
  host: '127.0.0.1',
  keepAlive: true,
  ...(workers > 1 ? { cluster: workers } : {}),
});
proxy.register('bench.local', process.env.BENCH_BACKEND);
