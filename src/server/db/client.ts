import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { lockDatabaseFolder } from "./folder-lock";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { endSpanWhenSettled, startSpan } from "~/server/observability/tracing";
import * as schema from "./schema";

/** The Drizzle database, whichever engine is behind it. Query functions take this as their first argument. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** What db.transaction() hands its callback. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** What a query takes when it may run on its own or inside its caller's transaction. */
export type DatabaseOrTransaction = Database | Transaction;

export type DatabaseConfig =
  | {
      engine: "postgres";
      url: string;
      maxConnections?: number;
      /** Connections of the separate authentication pool (see DatabaseHandle.authDb). */
      authConnections?: number;
      /** PostgreSQL's statement_timeout on every pooled connection; 0 or unset = the server's default. */
      statementTimeoutMs?: number;
    }
  /** `dataDir` undefined = in memory (tests). */
  | { engine: "pglite"; dataDir?: string };

export interface DatabaseHandle {
  db: Database;
  /**
   * The same database over a small pool of its own, for token verification, session lookups and
   * revocation: however many tool queries keep the main pool busy, these still get a connection.
   * The same object as `db` on PGlite (one connection in one process).
   */
  authDb: Database;
  engine: DatabaseConfig["engine"];
  /** Applies pending migrations from `drizzle/`, serialised across instances by an advisory lock. */
  migrate(): Promise<void>;
  /** PostgreSQL: each pool's connections in use and queries waiting for one, now (the metrics). None on PGlite. */
  poolUsage(): PoolUsage[];
  close(): Promise<void>;
}

export const migrationsFolder = path.join(process.cwd(), "drizzle");

export interface PoolUsage {
  pool: "main" | "auth";
  /** Connections running a query or holding a transaction. */
  inUse: number;
  /** Queries waiting for a connection: queued, or pipelined behind another query on a busy one. */
  waiting: number;
  max: number;
}

/**
 * The postgres.js pool `client`, counting what is in flight through it. postgres.js keeps its queues private, so
 * the count is ours: every query (Drizzle sends them all through unsafe()) and every transaction (begin(), whose
 * own queries run on the connection it holds) from the moment it is made to the moment it settles. Beyond `max`
 * at once, the rest wait: queued, or pipelined behind a query on a busy connection. Each is also a span when traces
 * are on (src/server/observability/tracing.ts): its SQL text (parameters are never in it), never its values.
 */
function countedPool(client: postgres.Sql, pool: PoolUsage["pool"], max: number): { client: postgres.Sql; usage: () => PoolUsage } {
  let inFlight = 0;
  const settled = () => {
    inFlight--;
  };
  const counted = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== "unsafe" && property !== "begin") return value;
      const original = value as (...args: unknown[]) => PromiseLike<unknown>;
      return (...args: unknown[]) => {
        const span =
          property === "unsafe"
            ? startSpan("db.query", { "db.system": "postgresql", "db.pool": pool, "db.query.text": String(args[0]).slice(0, 2000) })
            : startSpan("db.transaction", { "db.system": "postgresql", "db.pool": pool });
        const pending = original.apply(target, args);
        inFlight++;
        // then() also starts a postgres.js query (after a microtask: Drizzle's .values() still applies first).
        pending.then(settled, settled);
        endSpanWhenSettled(span, pending);
        return pending;
      };
    },
  });
  return { client: counted, usage: () => ({ pool, inUse: Math.min(inFlight, max), waiting: Math.max(0, inFlight - max), max }) };
}

// Any constant works; all instances must agree on it. ("carestral" as a 32-bit number.)
const MIGRATION_LOCK_KEY = 0x63617265;

/** Which database a configuration opens, for the start-up log: the PGlite folder or the PostgreSQL host, never credentials. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.engine === "pglite") return config.dataDir ? `PGlite in ${path.resolve(config.dataDir)}` : "PGlite in memory";
  const url = new URL(config.url);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if (config.engine === "postgres") return openPostgres(config);
  return openPglite(config.dataDir);
}

function openPostgres(config: Extract<DatabaseConfig, { engine: "postgres" }>): DatabaseHandle {
  const { url } = config;
  const options = {
    // Fail fast when the server is down, so callers can answer 503 instead of hanging.
    connect_timeout: 5,
    idle_timeout: 60,
    // Migrations print NOTICEs ("schema already exists, skipping"); they are not news.
    onnotice: () => {},
  };
  // Server side, so that a query whose caller gave up (withDatabaseDeadline) does not hold its connection
  // and PostgreSQL's CPU on. Not on the migration connection: it waits on an advisory lock.
  const pooled = config.statementTimeoutMs ? { ...options, connection: { statement_timeout: config.statementTimeoutMs } } : options;
  const max = config.maxConnections ?? 10;
  const authMax = config.authConnections ?? 3;
  const client = postgres(url, { ...pooled, max });
  const authClient = postgres(url, { ...pooled, max: authMax });
  const main = countedPool(client, "main", max);
  const auth = countedPool(authClient, "auth", authMax);
  return {
    db: drizzlePostgres({ client: main.client, schema }),
    authDb: drizzlePostgres({ client: auth.client, schema }),
    engine: "postgres",
    poolUsage: () => [main.usage(), auth.usage()],
    async migrate() {
      // A session-level advisory lock belongs to one connection, so migrate over a dedicated one.
      const lockClient = postgres(url, { ...options, max: 1 });
      try {
        await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        try {
          await migratePostgres(drizzlePostgres({ client: lockClient }), { migrationsFolder });
        } finally {
          await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
        }
      } finally {
        await lockClient.end({ timeout: 5 });
      }
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), authClient.end({ timeout: 5 })]);
    },
  };
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  // PGlite does not create parent folders.
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // One process per folder: PGlite has no lock of its own between processes.
  const lock = dataDir ? lockDatabaseFolder(dataDir) : null;
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client, schema });
  return {
    db,
    authDb: db,
    engine: "pglite",
    poolUsage: () => [],
    async migrate() {
      // PGlite is one connection in one process, but it takes the same lock so both engines behave alike.
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      try {
        await migratePglite(db, { migrationsFolder });
      } finally {
        await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
      }
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "3D000", // invalid_catalog_name: the database is gone
  "55000", // object_not_in_prerequisite_state: e.g. the database no longer allows connections
  "57014", // query_canceled: statement_timeout ended a query that ran too long
  "DATABASE_TIMEOUT", // ./deadline.ts: no answer in time
  "DATABASE_UNAVAILABLE", // one of the above, rethrown without its cause (which may hold query parameters)
]);

/** True when an error means "the database cannot be reached right now" rather than a bug or bad input. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return hasErrorCode(error, (code) => UNAVAILABLE_CODES.has(code));
}

/** True when a PostgreSQL unique constraint refused the write (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return hasErrorCode(error, (code) => code === "23505");
}

/** Drizzle wraps the driver's error: the SQLSTATE or errno code is on it or somewhere down its causes. */
function hasErrorCode(error: unknown, matches: (code: string) => boolean): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && matches(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
