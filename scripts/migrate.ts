// `npm run db:migrate`: apply pending migrations to DATABASE_URL, or to the PGlite folder.
import { env } from "../src/env";
import { openDatabase } from "../src/server/db/client";

const handle = await openDatabase(
  env.DATABASE_URL ? { engine: "postgres", url: env.DATABASE_URL } : { engine: "pglite", dataDir: env.PGLITE_DIR },
);
try {
  await handle.migrate();
  console.log(`Migrations applied (${handle.engine}).`);
} finally {
  await handle.close();
}
