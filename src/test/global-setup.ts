import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { testDatabaseUrl } from "./env";

declare module "vitest" {
  export interface ProvidedContext {
    testRunId: string;
  }
}

export default function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  project.provide("testRunId", runId);

  return async function teardown() {
    if (!testDatabaseUrl) return;
    // Drop whatever this run created, even when a test failed before its own cleanup.
    const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
    try {
      const leftovers = await admin<{ datname: string }[]>`
        select datname from pg_database where datname like ${`carestral_test_${runId}%`}`;
      for (const { datname } of leftovers) {
        await admin.unsafe(`drop database if exists "${datname}" with (force)`);
      }
    } finally {
      await admin.end();
    }
  };
}
