import type { Etcd3, Watcher } from 'etcd3';

/**
 * The same etcd client, except that each watch it creates goes through `create(attempt, real)`:
 * tests use it to hold a watch back (until a compaction), or to hand out a watch that never
 * delivers. `attempt` counts from 1.
 */
export function interceptWatches(
  client: Etcd3,
  create: (attempt: number, real: () => Promise<Watcher>) => Promise<Watcher>,
): Etcd3 {
  let attempts = 0;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'watch') return Reflect.get(target, property, receiver);
      return () => {
        const builder = target.watch();
        const real = builder.create.bind(builder);
        builder.create = () => {
          attempts += 1;
          return create(attempts, real);
        };
        return builder;
      };
    },
  });
}
