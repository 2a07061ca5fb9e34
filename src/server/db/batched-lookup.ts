/**
 * Lookups by key that share one query when they are asked for in the same event-loop turn: the first one of
 * a turn schedules `load` for the turn's end (setImmediate, after the I/O callbacks of the turn), and every
 * lookup asked for until then joins it. Each caller gets the value of its own key, or undefined.
 *
 * Nothing is cached: a key asked for again in a later turn is loaded again, and every load starts after all
 * of its callers asked, so it sees every write committed before any of them arrived.
 */
export function batchedLookup<Key, Value>(load: (keys: Key[]) => Promise<Map<Key, Value>>): (key: Key) => Promise<Value | undefined> {
  let batch: Map<Key, Waiter<Value>[]> | null = null;

  const run = async (waitersByKey: Map<Key, Waiter<Value>[]>) => {
    try {
      const values = await load([...waitersByKey.keys()]);
      for (const [key, waiters] of waitersByKey) for (const waiter of waiters) waiter.resolve(values.get(key));
    } catch (error) {
      for (const waiters of waitersByKey.values()) for (const waiter of waiters) waiter.reject(error);
    }
  };

  return (key) =>
    new Promise<Value | undefined>((resolve, reject) => {
      if (batch === null) {
        const current = new Map<Key, Waiter<Value>[]>();
        batch = current;
        setImmediate(() => {
          batch = null;
          void run(current);
        });
      }
      const waiters = batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else batch.set(key, [{ resolve, reject }]);
    });
}

interface Waiter<Value> {
  resolve(value: Value | undefined): void;
  reject(error: unknown): void;
}
