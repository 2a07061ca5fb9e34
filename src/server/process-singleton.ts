/**
 * One value per process, however many copies of the calling module Next.js's bundles and dev reloads hold:
 * kept on globalThis under Symbol.for(`carestral.${name}`), made by `create` on first use. server.mjs reads
 * and writes the names it shares with the app (shutdownTasks, server-hooks, stopping) the same way.
 */
export function processSingleton<T>(name: string, create: () => T): T {
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  return (holder[Symbol.for(`carestral.${name}`)] ??= create());
}
