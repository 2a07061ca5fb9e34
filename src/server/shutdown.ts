import { processSingleton } from "~/server/process-singleton";

// Work to finish before the process exits: server.mjs, our bootstrap, runs every task registered here once the
// HTTP server has closed on SIGTERM or SIGINT (the last request answered), waiting at most 5 s in all. Under a bare
// `next start` (not supported in production: instrumentation-node.ts warns) nothing runs them.
type ShutdownTask = () => Promise<void>;

export function onShutdown(task: ShutdownTask): void {
  processSingleton<ShutdownTask[]>("shutdownTasks", () => []).push(task);
}
