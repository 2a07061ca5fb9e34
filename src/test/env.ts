// Test-only configuration. The app reads its own through src/env.ts.
/** A PostgreSQL server to create throwaway databases on, e.g. postgres://postgres@127.0.0.1:5432/test. */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/** Where `npm run build:test` puts the production build that server tests start. */
export const testDistDir = ".next-test";
