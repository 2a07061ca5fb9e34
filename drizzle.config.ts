import { defineConfig } from "drizzle-kit";

// drizzle-kit generates SQL from the schema (db:generate) and opens Drizzle Studio (db:studio). The app
// applies migrations itself, at start, under an advisory lock (src/server/db/client.ts).
// Tooling config, read by drizzle-kit outside the app: it reads the same two variables as src/env.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/server/db/schema.ts",
  out: "./drizzle",
  ...(process.env.DATABASE_URL
    ? { dbCredentials: { url: process.env.DATABASE_URL } }
    : { driver: "pglite", dbCredentials: { url: process.env.PGLITE_DIR || ".data/pglite" } }),
});
