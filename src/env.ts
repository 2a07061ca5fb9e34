import { z } from "zod";

// The one reader of process.env. Importing this module validates the whole configuration and fails
// fast with a message that names each bad variable.
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  // PostgreSQL connections per instance. The default is what `npm run bench` found best on a 2-core machine
  // with PostgreSQL on the same host (README, Performance); more only queue inside PostgreSQL.
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  APP_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .default("http://localhost:3000")
    .transform((value) => new URL(value).origin),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  // Sign-in and sign-up attempts allowed per minute, per client IP and per email.
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
});

export type Env = z.infer<typeof schema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable means "unset", as in shells and .env files.
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${problems.join("\n")}`);
  }
  return result.data;
}

export const env = parseEnv(process.env);
