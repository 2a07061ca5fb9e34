import { sql } from "drizzle-orm";
import { ACTIVITY_OUTCOMES } from "../activity/schemas";
import { bigint, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => timestamptz("created_at").notNull().defaultNow();

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  // Stored trimmed and lower-case, so the unique constraint is case-insensitive in effect.
  email: text("email").notNull().unique(),
  firstname: text("firstname").notNull(),
  surname: text("surname").notNull(),
  passwordHash: text("password_hash").notNull(),
  createdAt: createdAt(),
});

export const sessions = pgTable(
  "sessions",
  {
    // SHA-256 (hex) of the session token; the token itself lives only in the cookie.
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamptz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("sessions_user_id_idx").on(table.userId)],
);

// Fixed-window counters for sign-in and sign-up attempts, shared by every instance.
export const authRateLimits = pgTable("auth_rate_limits", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  windowStartedAt: timestamptz("window_started_at").notNull(),
});

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // SHA-256 (hex) of the whole token. The plaintext is never stored.
    tokenHash: text("token_hash").notNull(),
    tokenPrefix: text("token_prefix").notNull(),
    scopes: text("scopes").array().notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at"),
    revokedAt: timestamptz("revoked_at"),
    lastUsedAt: timestamptz("last_used_at"),
    // Optional, set by the owner on the token's page: what the token is for.
    description: text("description"),
  },
  (table) => [
    uniqueIndex("api_tokens_token_hash_idx").on(table.tokenHash),
    index("api_tokens_user_id_created_at_idx").on(table.userId, table.createdAt),
  ],
);

export const hospitals = pgTable(
  "hospitals",
  {
    // A readable slug ("paris-pitie-salpetriere"): stable across environments and easy for a model to quote.
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    city: text("city").notNull(),
    address: text("address").notNull(),
    postalCode: text("postal_code").notNull(),
    // Null when unknown: reference data carries only verified facts.
    phone: text("phone"),
    specialties: text("specialties").array().notNull(),
  },
  (table) => [index("hospitals_city_idx").on(table.city)],
);

export const bookingStatus = pgEnum("booking_status", ["confirmed", "cancelled"]);

export const bookings = pgTable(
  "bookings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    hospitalId: text("hospital_id")
      .notNull()
      .references(() => hospitals.id),
    specialty: text("specialty").notNull(),
    startsAt: timestamptz("starts_at").notNull(),
    status: bookingStatus("status").notNull().default("confirmed"),
    note: text("note"),
    createdAt: createdAt(),
    cancelledAt: timestamptz("cancelled_at"),
    // Null when the booking was made in the web UI.
    createdByTokenId: uuid("created_by_token_id").references(() => apiTokens.id, { onDelete: "set null" }),
  },
  (table) => [
    index("bookings_user_id_starts_at_idx").on(table.userId, table.startsAt),
    // One confirmed booking per person per time slot.
    uniqueIndex("bookings_user_slot_confirmed_idx")
      .on(table.userId, table.startsAt)
      .where(sql`${table.status} = 'confirmed'`),
  ],
);

export const mcpActivityOutcome = pgEnum("mcp_activity_outcome", ACTIVITY_OUTCOMES);

// One row per authenticated MCP request message (a tool call or a method such as tools/list). Never the
// arguments: they may hold medical notes; `summary` says what a person needs to recognise the call.
export const mcpActivity = pgTable(
  "mcp_activity",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    // When the call arrived (the server's clock; rows are written in batches shortly after).
    at: timestamptz("at").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // A row of api_tokens (personal and OAuth access tokens alike). No foreign key on purpose: token rows are
    // never deleted (revocation keeps them; deleting a person cascades through user_id), and each key
    // checked costs the hot insert a lookup and a row lock.
    tokenId: uuid("token_id").notNull(),
    // The tool name for tools/call, else the JSON-RPC method.
    tool: text("tool").notNull(),
    outcome: mcpActivityOutcome("outcome").notNull(),
    durationMs: integer("duration_ms").notNull(),
    clientIp: text("client_ip"),
    userAgent: text("user_agent"),
    summary: text("summary"),
  },
  (table) => [
    // Read backwards for "newest first" (at desc, id desc). Not declared DESC: drizzle-kit would write
    // DESC NULLS LAST, which an ORDER BY … DESC (nulls first) cannot use.
    index("mcp_activity_token_id_at_idx").on(table.tokenId, table.at, table.id),
    index("mcp_activity_user_id_at_idx").on(table.userId, table.at, table.id),
  ],
);
