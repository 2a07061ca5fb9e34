import { expect } from "@playwright/test";
import { spawn } from "node:child_process";

/**
 * A server of the spec's own, from the same production build as the suite's, at http://localhost:`port`: for
 * what the suite's server cannot do (run without mail, or on a database the spec changes under it). No SMTP_URL
 * unless `env` gives one; `env` sets the database. Resolves once it answers /api/health.
 */
export async function startOwnServer(port: number, env: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  const base = `http://localhost:${port}`;
  const { SMTP_URL: _smtp, ...inherited } = process.env;
  const server = spawn("node", ["server.mjs"], {
    env: { ...inherited, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: ".next-test", PORT: String(port), APP_URL: base, AUTH_RATE_LIMIT_PER_MINUTE: "1000", ...env },
    stdio: "ignore",
  });
  await expect(async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.ok).toBe(true);
  }).toPass({ timeout: 90_000 });
  return {
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill();
      await exited;
    },
  };
}
