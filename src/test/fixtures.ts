import { afterAll, beforeAll } from "vitest";
import type { Database, DatabaseHandle } from "~/server/db/client";
import { settleLastUsedWrites } from "~/server/tokens/service";
import { createEmptyPostgresDatabase, createTestDatabase, type Engine, type TestDatabase } from "./db";
import { testDatabaseUrl } from "./env";
import type { ScratchDatabase } from "./postgres-database";
import { startServer, type TestServer } from "./server";

// Fixtures for a describe block: each registers its own beforeAll and afterAll and returns an object
// whose fields are there from that beforeAll to that afterAll. Hooks run in the order they are
// registered and after-hooks in reverse (vitest's "stack"), so a beforeAll written after the fixture
// sees it ready, and an afterAll written after it runs before it is torn down.

function whileOpen<T>(name: string, value: () => T | undefined): () => T {
  return () => {
    const current = value();
    if (current === undefined) throw new Error(`${name} is there from its beforeAll to its afterAll only`);
    return current;
  };
}

export interface TestDatabaseFixture {
  readonly engine: Engine;
  /** Stands for the database opened in beforeAll: destructure it at once, use it in hooks and tests. */
  readonly db: Database;
  readonly handle: DatabaseHandle;
  /** Connection string of the fresh PostgreSQL database; undefined on PGlite. */
  readonly url: string | undefined;
}

/**
 * A fresh, migrated database on `engine` (PGlite in memory, or a new PostgreSQL database that is
 * dropped after). Waits for the last_used_at writes still under way before closing it.
 */
export function useTestDatabase(engine: Engine): TestDatabaseFixture {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await settleLastUsedWrites();
    await database?.close();
    database = undefined;
  });
  const open = whileOpen("useTestDatabase()", () => database);
  // A stand-in, so that `const { db } = useTestDatabase(engine)` reads like the query functions' own
  // first argument: every property is looked up on the database open at that moment.
  const db = new Proxy({} as Database, {
    get(_, property) {
      const target = open().db;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    engine,
    db,
    get handle() {
      return open().handle;
    },
    get url() {
      return open().url;
    },
  };
}

type ServerEnv = Record<string, string>;

export interface TestServerOptions {
  /** The server's environment; a function is read when the server starts, after the beforeAll hooks written before it. */
  env?: ServerEnv | (() => ServerEnv);
  /** Another instance on the same database (started after that one, stopped before it). */
  sameDatabaseAs?: TestServerFixture;
}

export interface TestServerFixture extends TestServer {
  /** Its PostgreSQL database, for a test to look at or change; on PGlite (no TEST_DATABASE_URL) reading it throws. */
  readonly databaseUrl: string;
}

/**
 * A production server (`npm run build:test`) on a fresh PostgreSQL database when TEST_DATABASE_URL is
 * set, else on a PGlite folder of its own; stopped after, and its database dropped.
 */
export function startTestServer(options: TestServerOptions = {}): TestServerFixture {
  let server: TestServer | undefined;
  /** drop is unset when the database is another server's. */
  let database: (Pick<ScratchDatabase, "url"> & Partial<ScratchDatabase>) | undefined;
  beforeAll(async () => {
    if (options.sameDatabaseAs) {
      database = { url: options.sameDatabaseAs.databaseUrl };
    } else if (testDatabaseUrl) {
      database = await createEmptyPostgresDatabase();
    }
    const env = typeof options.env === "function" ? options.env() : options.env;
    server = await startServer({ databaseUrl: database?.url, env });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop?.();
    server = undefined;
  });
  const running = whileOpen("startTestServer()", () => server);
  return {
    get url() {
      return running().url;
    },
    get port() {
      return running().port;
    },
    get pid() {
      return running().pid;
    },
    get databaseUrl() {
      running();
      if (!database) throw new Error("this server runs on PGlite: its database is PostgreSQL only with TEST_DATABASE_URL");
      return database.url;
    },
    log: () => running().log(),
    stop: () => running().stop(),
  };
}
