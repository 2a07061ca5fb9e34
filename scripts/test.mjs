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

// CI keeps only the end of what this prints: name each failure there, with the first line of its error.
function firstLine(text) {
  const line = String(text ?? "").replace(/\u001b\[[0-9;]*m/g, "").split("\n").find((part) => part.trim() !== "") ?? "";
  return line.trim().slice(0, 320);
}

function vitestFailures(report) {
  const failures = [];
  for (const file of report.testResults ?? []) {
    const path = file.name.replace(`${process.cwd()}/`, "");
    if (file.status === "failed" && file.assertionResults.length === 0) failures.push(`     ✗ ${path}: ${firstLine(file.message)}`);
    for (const test of file.assertionResults) {
      if (test.status === "failed") failures.push(`     ✗ ${path} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  return failures;
}

// The e2e server's log (playwright.config.ts): JSON lines, one object each.
const e2eServerLog = ".data/e2e-server.log";

function serverLogEntries() {
  if (!existsSync(e2eServerLog)) return [];
  return readFileSync(e2eServerLog, "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line);
        return entry && typeof entry === "object" ? [entry] : [];
      } catch {
        return []; // next.js's own lines, a line cut short
      }
    });
}

/** The server's warnings, errors and slow answers while a test ran, a few: what the browser could not see. */
function serverTrouble(entries, result) {
  const start = Date.parse(result?.startTime ?? "");
  if (Number.isNaN(start)) return [];
  const end = start + (result.duration ?? 0);
  const trouble = [];
  for (const entry of entries) {
    const at = Date.parse(entry.time ?? "");
    if (!(at >= start && at <= end)) continue;
    if (["warn", "error", "fatal"].includes(entry.level)) trouble.push(`         server ${entry.level}: ${firstLine(entry.msg)}`);
    else if (entry.durationMs >= 5000) trouble.push(`         server slow: ${entry.method} ${entry.route} ${entry.status} in ${(entry.durationMs / 1000).toFixed(1)} s`);
  }
  return trouble.length > 5 ? [...trouble.slice(0, 5), `         server: ${trouble.length - 5} more in ${e2eServerLog}`] : trouble;
}

/** The server's last errors, for a run that failed before any test could: why it did not start. */
function serverErrors(entries) {
  return entries
    .filter((entry) => entry.level === "error" || entry.level === "fatal")
    .slice(-5)
    .map((entry) => `         server ${entry.level}: ${firstLine(entry.msg)}`);
}

function playwrightFailures(report, entries) {
  const failures = [];
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== "unexpected") continue;
        const result = test.results?.at(-1);
        const seconds = result?.duration === undefined ? "" : ` [${(result.duration / 1000).toFixed(1)} s]`;
        failures.push(`     ✗ [${test.projectName}] ${spec.file}:${spec.line} › ${spec.title}: ${firstLine(result?.error?.message)}${seconds}`);
        // A timeout's first error names only the limit; the next ones say what was still waiting, and where.
        for (const error of (result?.errors ?? []).slice(1, 3)) {
          const where = error.location ? ` (${error.location.file.split("/").at(-1)}:${error.location.line})` : "";
          failures.push(`         ${firstLine(error.message)}${where}`);
        }
        failures.push(...serverTrouble(entries, result));
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report?.suites ?? []) visit(suite);
  return failures;
}

/**
 * What passed but is worth reading, as test annotations: axe violations gone a second later (`~`,
 * src/e2e/page-check.ts) and uncaught errors in a page (`!`, src/e2e/test.ts).
 */
const NOTEWORTHY = { "transient axe violation": "~", "uncaught page error": "!" };
function noteworthyAnnotations(report) {
  const notes = [];
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const annotations = [...(test.annotations ?? []), ...(test.results ?? []).flatMap((result) => result.annotations ?? [])];
        for (const { type, description } of annotations) {
          const mark = NOTEWORTHY[type];
          if (mark) notes.push(`     ${mark} [${test.projectName}] ${spec.file}:${spec.line}: ${type} on ${firstLine(description)}`);
        }
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report?.suites ?? []) visit(suite);
  return [...new Set(notes)];
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
  lines.push(...vitestFailures(vitestJson));
} else {
  failed++;
  lines.push(`FAIL vitest: no report (${vitest.seconds}s)`);
}

if (built) {
  const playwrightReport = `${resultsDir}/playwright.json`;
  rmSync(e2eServerLog, { force: true }); // not the last run's, should this one's server never start
  const e2e = run("e2e", bin("playwright"), ["test", "--reporter=list,json"], { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport });
  const stats = existsSync(playwrightReport) ? readJson(playwrightReport)?.stats : null;
  if (stats) {
    passed += stats.expected + stats.flaky;
    failed += stats.unexpected;
    lines.push(`${e2e.ok ? "ok  " : "FAIL"} e2e: ${stats.expected + stats.flaky} passed, ${stats.unexpected} failed (${e2e.seconds}s)`);
    if (!e2e.ok && stats.unexpected === 0) failed++;
    const report = readJson(playwrightReport);
    const entries = e2e.ok ? [] : serverLogEntries();
    lines.push(...playwrightFailures(report, entries));
    lines.push(...noteworthyAnnotations(report).slice(0, 10));
    // What failed outside any test: the server that did not start, a spec that did not load.
    for (const error of (report?.errors ?? []).slice(0, 3)) lines.push(`     ✗ ${firstLine(error.message)}`);
    if (!e2e.ok && stats.unexpected === 0) lines.push(...serverErrors(entries));
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
