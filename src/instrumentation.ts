// Runs once when a server instance starts. The work is Node.js-only (the database, process.exit), so it lives in a
// module imported on that runtime alone: Next.js also compiles this file for the Edge runtime, and would warn about
// every Node.js API it found here.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startInstance } = await import("./instrumentation-node");
  await startInstance();
}
