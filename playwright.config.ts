import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { defineConfig, devices } from "@playwright/test";
import { E2E_LEGACY_JWT } from "./src/e2e/legacy-jwt-settings";
import { mailCatcherPorts } from "./src/e2e/mail";

// No browser can be downloaded on our machines: use Debian's Chromium when it is there.
function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined; // fall back to Playwright's own browser
  }
}

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;
const e2eDataDir = ".data/e2e";
// The server's JSON log of the last run: scripts/test.mjs shows its warnings and errors beside a failed test.
const e2eServerLog = ".data/e2e-server.log";
// The app sends account mail to a real SMTP server (src/test/mail-catcher.ts); specs read it over HTTP.
const mailCatcher = { smtpPort: mailCatcherPorts.smtp, httpPort: mailCatcherPorts.http };

export default defineConfig({
  testDir: "src/e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: "list",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: findChromium(),
      // Our network is closed: keep Chromium from calling home at start.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  // Every spec runs at both widths the dashboard is built for (DESIGN: no page scrolls sideways at 390 px).
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } },
    { name: "phone", use: { ...devices["Desktop Chrome"], viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } },
  ],
  webServer: [
    {
      command: `exec node --import tsx src/test/mail-catcher.ts ${mailCatcher.smtpPort} ${mailCatcher.httpPort}`,
      url: `http://127.0.0.1:${mailCatcher.httpPort}/messages`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // The production build from `npm run build:test`, started as npm start starts it, on a fresh PGlite folder every run.
      command: `rm -rf ${e2eDataDir} && mkdir -p .data && exec node --max-old-space-size=512 server.mjs > ${e2eServerLog}`,
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: {
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        NEXT_DIST_DIR: ".next-test",
        PORT: String(port),
        APP_URL: baseURL,
        PGLITE_DIR: e2eDataDir,
        DATABASE_URL: "",
        // Every spec signs people up from 127.0.0.1; the limit itself is tested in auth.http.test.ts.
        AUTH_RATE_LIMIT_PER_MINUTE: "1000",
        SMTP_URL: `smtp://127.0.0.1:${mailCatcher.smtpPort}`,
        // Production has no development TOTP key: authenticator apps need this set (random per run).
        TOTP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
        // Option A JWTs are accepted, so legacy-jwt.spec.ts can show the dashboard's migration notice.
        ...E2E_LEGACY_JWT,
      },
    },
  ],
});
