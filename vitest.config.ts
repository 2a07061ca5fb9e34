import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "~": path.resolve(import.meta.dirname, "src"),
      // "server-only" throws outside React server components; tests are server code.
      "server-only": path.resolve(import.meta.dirname, "src/test/empty-module.ts"),
    },
  },
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
    exclude: ["src/e2e/**", "node_modules/**"],
    globalSetup: ["src/test/global-setup.ts"],
    setupFiles: ["src/test/setup-env.ts"],
    // Integration tests start databases and servers; keep them bounded but not flaky on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
