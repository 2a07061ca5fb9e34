import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL from the schema; the app applies it (src/server/db/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/server/db/schema.ts",
  out: "./drizzle",
  ...(process.env.DATABASE_URL ? { dbCredentials: { url: process.env.DATABASE_URL } } : { driver: "pglite", dbCredentials: { url: ".data/pglite" } }),
});
