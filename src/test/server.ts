import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { testDistDir } from "./env";

export interface TestServer {
  url: string;
  port: number;
  /** The server's process id (the benchmark reads its CPU time). */
  pid: number;
  /** Everything the server printed so far (stdout and stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** PostgreSQL URL; without it the server uses a fresh PGlite folder that stop() removes. */
  databaseUrl?: string;
  /** Reuse a PGlite folder (e.g. to check data survives a restart); not removed by stop(). */
  pgliteDir?: string;
  env?: Record<string, string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts the production server (server.mjs) on the test build (npm run build:test) and waits until it answers. */
export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  if (!existsSync(path.join(testDistDir, "BUILD_ID"))) {
    throw new Error(`No production build in ${testDistDir}/: run \`npm run build:test\` first (npm test does).`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ownPglite = !options.databaseUrl && !options.pgliteDir ? mkdtempSync(path.join(os.tmpdir(), "carestral-pglite-")) : undefined;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_DIST_DIR: testDistDir,
    APP_URL: url,
    PORT: String(port),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { PGLITE_DIR: options.pgliteDir ?? ownPglite }),
    ...options.env,
  };
  // The production entry point, run as npm start runs it (its heap cap included), with node so the PID we stop is the server's.
  const child = spawn(process.execPath, ["--max-old-space-size=512", "server.mjs"], {
    env: { HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const stop = async () => {
    await stopProcess(child);
    if (ownPglite) rmSync(ownPglite, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, pid: child.pid ?? 0, log: () => output, stop };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`next start did not become healthy at ${url}:\n${output()}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
