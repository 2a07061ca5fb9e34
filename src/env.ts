import { isIP } from "node:net";
import { z } from "zod";

// The one reader of process.env. Importing this module validates the whole configuration and fails
// fast with a message that names each bad variable.
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
    .optional(),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  APP_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .transform((value) => new URL(value).origin)
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  // Sign-in and sign-up attempts allowed per minute, per client IP and per email.
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  // Where account mail goes (smtp://user:pass@host:587, smtps://… for implicit TLS). Unset: printed to the
  // server log in development, unavailable in production (src/server/email/mailer.ts).
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }).optional(),
  // Encrypts authenticator-app (TOTP) keys at rest (AES-256-GCM): 32 random bytes in base64 (openssl rand -base64 32).
  // Unset: a fixed development key outside production (src/server/auth/totp-key-encryption.ts), and no
  // authenticator apps in production. Changing it makes every stored key unreadable: people then sign in with a
  // recovery code and set their app up again.
  TOTP_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine((value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, "base64").length === 32, {
      error: "must be 32 random bytes in base64 (44 characters; openssl rand -base64 32)",
    })
    .optional(),
  // The From of account mail; default no-reply@ the APP_URL host.
  MAIL_FROM: z.string().min(3).optional(),
  // How long the per-call MCP activity trail is kept; older rows are purged in the background.
  ACTIVITY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  // Proxies whose X-Forwarded-For is believed: a hop count ("1") or comma-separated CIDRs/addresses.
  // Unset: the header is ignored and the client is the socket address (server.mjs passes it on).
  TRUSTED_PROXIES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const parsed = parseTrustedProxies(value);
      if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  // PostgreSQL connections for everything but authentication, and a small pool of their own for token
  // verification, session lookups and revocation, so that busy tool queries cannot starve them. The main
  // pool's default is what `npm run bench` found on a 2-core machine with PostgreSQL on the same host
  // (README, Performance): from 5 up no size clearly wins, and 10 keeps four instances far inside
  // PostgreSQL's default 100 connections.
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  DATABASE_AUTH_POOL_MAX: z.coerce.number().int().min(1).max(100).default(3),
  // Server-side statement_timeout: PostgreSQL stops a query nobody waits for any more.
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  // server.mjs: the whole request, body included, must arrive within this (slow clients get 408).
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  // server.mjs: the address to listen on; unset = every interface.
  HOST: z.string().min(1).optional(),
  // MCP calls per minute per token, and MCP calls in flight at once per person (per instance).
  MCP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  MCP_CONCURRENCY_PER_USER: z.coerce.number().int().min(1).default(4),
  // MCP calls per minute per person, all of their tokens together (across instances): many tokens, OAuth access
  // tokens of many apps for instance, do not multiply a person's calls. Unset: twice MCP_RATE_LIMIT_PER_MINUTE.
  MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE: z.coerce.number().int().min(1).optional(),
  // Web origins (comma-separated, e.g. "https://inspector.example.com") whose pages may call /api/mcp: they
  // pass its Origin check and get CORS answers. Empty: only APP_URL's own pages (DNS rebinding protection).
  MCP_ALLOWED_ORIGINS: z
    .string()
    .default("")
    .transform((value, ctx) => {
      const origins: string[] = [];
      for (const item of value.split(",").map((part) => part.trim()).filter(Boolean)) {
        const origin = URL.canParse(item) ? new URL(item) : null;
        if (!origin || !/^https?:$/.test(origin.protocol) || origin.origin !== item.replace(/\/$/, "")) {
          ctx.addIssue({ code: "custom", message: `"${item}" is not an origin: write it as https://host[:port], without a path` });
          return z.NEVER;
        }
        origins.push(origin.origin);
      }
      return origins;
    }),
  // Resource servers allowed to call /oauth/introspect (RFC 7662), as comma-separated id:secret pairs
  // ("fastmcp-eu:long-random-secret"). Empty: introspection answers 404. Each caller's calls per minute are capped.
  INTROSPECTION_CREDENTIALS: z
    .string()
    .default("")
    .transform((value, ctx) => {
      const credentials: { id: string; secret: string }[] = [];
      for (const item of value.split(",").map((part) => part.trim()).filter(Boolean)) {
        const colon = item.indexOf(":");
        const id = item.slice(0, colon);
        const secret = item.slice(colon + 1);
        if (colon < 1 || secret.length < 16 || !/^[\x21-\x7e]+$/.test(id) || credentials.some((known) => known.id === id)) {
          // Never the secret in the message: only the id, or the position.
          ctx.addIssue({ code: "custom", message: `entry ${credentials.length + 1} (${colon < 1 ? "no id" : JSON.stringify(id)}) must be id:secret, a unique id and a secret of at least 16 characters` });
          return z.NEVER;
        }
        credentials.push({ id, secret });
      }
      return credentials;
    }),
  INTROSPECTION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  // Access tokens one OAuth connection may be issued per minute (refreshes and code exchanges); one client
  // from one address may make four times that many token requests. Beyond: 429 with Retry-After.
  OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  // Where leaked-token reports' signatures are checked (/api/token-leaks, GitHub secret scanning): an https URL
  // serving GitHub's key list (https://api.github.com/meta/public_keys/secret_scanning), or ECDSA P-256 public
  // keys in PEM (several may follow each other; "\\n" stands for a newline). Empty: the endpoint answers 404.
  SECRET_SCANNING_KEYS: z
    .string()
    .default("")
    .transform((value, ctx): SecretScanningKeys => {
      const trimmed = value.trim();
      if (trimmed === "") return { kind: "none" };
      if (/^https?:/i.test(trimmed)) {
        if (!URL.canParse(trimmed) || new URL(trimmed).protocol !== "https:") {
          ctx.addIssue({ code: "custom", message: "must be an https:// URL of a key list, or PEM public keys" });
          return z.NEVER;
        }
        return { kind: "url", url: trimmed };
      }
      const pems = trimmed.replace(/\\n/g, "\n").match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
      if (pems.length === 0) {
        ctx.addIssue({ code: "custom", message: "must be an https:// URL of a key list, or PEM public keys (-----BEGIN PUBLIC KEY-----…)" });
        return z.NEVER;
      }
      return { kind: "pem", pems };
    }),
  // Option A migration: with MCP_JWT_SECRET, /api/mcp also accepts the older system's HS256 JWTs (iss and aud
  // checked against MCP_JWT_ISSUER and MCP_JWT_AUDIENCE, both required then) until their exp or MCP_JWT_SUNSET
  // (a date or date-time), whichever comes first. Unset: a JWT is refused like any unknown token.
  MCP_JWT_SECRET: z.string().min(32, "must be at least 32 characters (the older system's signing secret)").optional(),
  MCP_JWT_ISSUER: z.string().min(1).optional(),
  MCP_JWT_AUDIENCE: z.string().min(1).optional(),
  MCP_JWT_SUNSET: z.iso
    .date({ error: "must be a date (2027-03-31) or an ISO date-time" })
    .or(z.iso.datetime({ offset: true }))
    .transform((value) => new Date(value))
    .optional(),
  // The lowest level written to the JSON log on stdout (pretty under next dev).
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Bearer token Prometheus sends to /api/metrics. Unset: /api/metrics answers 404.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (a long random string)").optional(),
  // OpenTelemetry: spans over OTLP/HTTP to this collector (e.g. http://otel-collector:4318). Unset: nothing is loaded.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  // Not a setting: server.mjs sets it to "1" for its own process, to say that it writes the socket address
  // header on every request. Without it (next dev, a bare next start) that header is the client's and is ignored.
  CARESTRAL_SOCKET_ADDRESS_HEADER: z.literal("1").optional(),
})
  .superRefine((value, ctx) => {
    if (value.MCP_JWT_SECRET === undefined) return;
    for (const name of ["MCP_JWT_ISSUER", "MCP_JWT_AUDIENCE"] as const) {
      if (value[name] === undefined) ctx.addIssue({ code: "custom", path: [name], message: "is required when MCP_JWT_SECRET is set" });
    }
  })
  // Without APP_URL, the app is where `next dev`/`next start` listen: PORT=4200 means http://localhost:4200,
  // or every sign-in would fail the Origin check against a :3000 nobody opened.
  .transform(({ APP_URL, MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE, ...rest }) => ({
    ...rest,
    APP_URL: APP_URL ?? `http://localhost:${rest.PORT}`,
    MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE: MCP_RATE_LIMIT_PER_PERSON_PER_MINUTE ?? 2 * rest.MCP_RATE_LIMIT_PER_MINUTE,
  }));

export type Env = z.infer<typeof schema>;

export type SecretScanningKeys = { kind: "none" } | { kind: "url"; url: string } | { kind: "pem"; pems: string[] };

export type TrustedProxies = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "cidrs"; cidrs: string[] };

/** "" / unset → none; "2" → two hops; "10.0.0.0/8, 127.0.0.1" → those networks. A string is an error. */
function parseTrustedProxies(value: string | undefined): TrustedProxies | string {
  const trimmed = value?.trim() ?? "";
  if (trimmed === "" || trimmed === "0") return { kind: "none" };
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    return hops <= 10 ? { kind: "hops", hops } : "a hop count is at most 10";
  }
  const cidrs = trimmed.split(",").map((part) => part.trim()).filter(Boolean);
  for (const cidr of cidrs) {
    const [address = "", bits, extra] = cidr.split("/");
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits))) {
      return `'${cidr}' is neither a hop count nor an IP address or CIDR (e.g. 1, or 10.0.0.0/8,::1)`;
    }
  }
  return { kind: "cidrs", cidrs };
}

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
