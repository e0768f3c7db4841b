// undici's entry point loads all of it (fetch, WebSocket, caches, mocks): on this project's
// 2-core machine that is ~2 s of start-up and ~20 MB of memory, of which the edge needs only the
// connection pool (~0.3 s, ~10 MB). Its types are the package's own.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
