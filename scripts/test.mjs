#!/usr/bin/env node
// `npm test`: every check the project has, in one command, ending with a plain "N passed, N failed" line.
// Stages: lint, production build (for server and browser tests), type check, vitest, Playwright.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const resultsDir = "test-results";
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const bin = (name) => `node_modules/.bin/${name}`;
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
let passed = 0;
let failed = 0;
const lines = [];

function run(label, command, args, extraEnv = {}) {
  console.log(`\n▶ ${label}: ${[command, ...args].join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...env, ...extraEnv } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { ok: result.status === 0, seconds };
}

function check(label, command, args, extraEnv) {
  const { ok, seconds } = run(label, command, args, extraEnv);
  if (ok) passed++;
  else failed++;
  lines.push(`${ok ? "ok  " : "FAIL"} ${label} (${seconds}s)`);
  return ok;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

check("lint", bin("eslint"), [".", "--max-warnings=0"]);
const built = check("build", bin("next"), ["build"], { NEXT_DIST_DIR: ".next-test", CARESTRAL_TEST_BUILD: "1" });
check("typecheck", bin("tsc"), ["--noEmit"]);

const vitestReport = `${resultsDir}/vitest.json`;
const vitest = run("vitest", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`]);
const vitestJson = readJson(vitestReport);
if (vitestJson) {
  passed += vitestJson.numPassedTests;
  failed += vitestJson.numFailedTests;
  // A file that fails to load has no tests to count; count the file.
  const brokenFiles = (vitestJson.testResults ?? []).filter((file) => file.status === "failed" && file.assertionResults.length === 0).length;
  failed += brokenFiles;
  // vitest can fail without a failed test (an unhandled error, a teardown that threw): count the run.
  if (!vitest.ok && vitestJson.numFailedTests + brokenFiles === 0) failed++;
  lines.push(`${vitest.ok ? "ok  " : "FAIL"} vitest: ${vitestJson.numPassedTests} passed, ${vitestJson.numFailedTests + brokenFiles} failed (${vitest.seconds}s)`);
} else {
  failed++;
  lines.push(`FAIL vitest: no report (${vitest.seconds}s)`);
}

if (built) {
  const playwrightReport = `${resultsDir}/playwright.json`;
  const e2e = run("e2e", bin("playwright"), ["test", "--reporter=list,json"], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport });
  const stats = existsSync(playwrightReport) ? readJson(playwrightReport)?.stats : null;
  if (stats) {
    passed += stats.expected + stats.flaky;
    failed += stats.unexpected;
    lines.push(`${e2e.ok ? "ok  " : "FAIL"} e2e: ${stats.expected + stats.flaky} passed, ${stats.unexpected} failed (${e2e.seconds}s)`);
    if (!e2e.ok && stats.unexpected === 0) failed++;
  } else {
    failed++;
    lines.push(`FAIL e2e: no report (${e2e.seconds}s)`);
  }
} else {
  failed++;
  lines.push("FAIL e2e: skipped, the build failed");
}

console.log(`\n${lines.join("\n")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
