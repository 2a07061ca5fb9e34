// Work to finish before the process exits: server.mjs, our bootstrap, runs every task registered here once the
// HTTP server has closed on SIGTERM or SIGINT (the last request answered), waiting at most 5 s in all. Under a bare
// `next start` (not supported in production: instrumentation.ts warns) nothing runs them.
const SHUTDOWN_TASKS = Symbol.for("carestral.shutdownTasks");

type ShutdownTask = () => Promise<void>;

export function onShutdown(task: ShutdownTask): void {
  const registry = globalThis as unknown as Record<symbol, ShutdownTask[] | undefined>;
  (registry[SHUTDOWN_TASKS] ??= []).push(task);
}
