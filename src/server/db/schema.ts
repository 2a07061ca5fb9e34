import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { ACTIVITY_OUTCOMES } from "../activity/schemas";
import type { SignInMethod } from "../auth/sign-in-methods";

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
  // Null until the person follows the link mailed at sign-up.
  emailVerifiedAt: timestamptz("email_verified_at"),
  // Signed up where mail is configured: no sign-in until the mailed confirmation link (or a reset link) is
  // followed, so nobody can hold an account under an address they do not control (issue 19 item 2).
  awaitingConfirmation: boolean("awaiting_confirmation").notNull().default(false),
  // The IANA zone ("Europe/London") the person's times are shown in: their browser's, kept on their first
  // dashboard visit, changeable in settings; null until then (times read in UTC).
  timeZone: text("time_zone"),
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
    // Shown on /settings so people can tell their sessions apart; capped in length when stored.
    userAgent: text("user_agent"),
    lastSeenAt: timestamptz("last_seen_at").notNull().defaultNow(),
    // When this session last proved who holds it (signing in or up, or the Confirm access prompt): sensitive
    // changes need it within the last 10 minutes (sudo mode, src/server/auth/sudo.ts). Null: never since
    // the column was added, so sessions from before it get no sudo for free.
    lastVerifiedAt: timestamptz("last_verified_at"),
    // How the person proved who they were when this session began, shown on /settings (auth/sign-in-methods.ts).
    signInMethod: text("sign_in_method").$type<SignInMethod>().notNull().default("password"),
  },
  // Every column a purge of the purges job selects by is indexed (expires_at here), or each of its runs reads the whole table.
  (table) => [index("sessions_user_id_idx").on(table.userId), index("sessions_expires_at_idx").on(table.expiresAt)],
);

// An authenticator app (TOTP, RFC 6238), one per person. The key is stored encrypted (AES-256-GCM under
// TOTP_ENCRYPTION_KEY, auth/totp-key-encryption.ts), never as the base32 text the app was given.
export const totpCredentials = pgTable("totp_credentials", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  encryptedKey: text("encrypted_key").notNull(),
  // Null while being set up: the app is on only once a first code from it was accepted.
  enabledAt: timestamptz("enabled_at"),
  // The last time step whose code was accepted: each code is good once (RFC 6238 §5.2).
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: createdAt(),
});

// Single-use recovery codes, ten per set, stored as SHA-256 (they carry 80 random bits, so no slow hash).
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamptz("used_at"),
    createdAt: createdAt(),
  },
  (table) => [index("recovery_codes_user_id_idx").on(table.userId)],
);

// A sign-in whose password was right, waiting for its second factor. Like sessions, the id is the SHA-256 of
// the secret in the browser's cookie; single-use and short-lived; no session exists until the step is passed.
export const pendingSignIns = pgTable(
  "pending_sign_ins",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // Where to go once signed in (already validated as a path on this site): an app's consent page, say.
    next: text("next").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("pending_sign_ins_user_id_idx").on(table.userId), index("pending_sign_ins_expires_at_idx").on(table.expiresAt)],
);

export const emailLinkPurpose = pgEnum("email_link_purpose", ["password_reset", "email_verification", "email_change"]);

// Single-use links sent by email (password reset, email verification, a change of address). Like sessions, the
// row id is the SHA-256 of the secret in the link, so a leaked table holds no usable link.
export const emailLinks = pgTable(
  "email_links",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: emailLinkPurpose("purpose").notNull(),
    /** email_change only: the address the account moves to once the link is opened (lower-case). */
    newEmail: text("new_email"),
    expiresAt: timestamptz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("email_links_user_id_idx").on(table.userId), index("email_links_expires_at_idx").on(table.expiresAt)],
);

// Passkeys (WebAuthn credentials). Only public keys: a leaked table signs nothing.
export const passkeyCredentials = pgTable(
  "passkey_credentials",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // The authenticator's credential id (base64url), unique across accounts: an assertion names it.
    credentialId: text("credential_id").notNull().unique(),
    // COSE algorithm (-7 ES256, -257 RS256) and the key in SEC1 (ES256) or PKCS#1 (RS256), base64url.
    algorithm: integer("algorithm").notNull(),
    publicKey: text("public_key").notNull(),
    // The authenticator's signature counter (WebAuthn §6.1.1), a uint32: it must grow, unless it stays 0.
    signCount: bigint("sign_count", { mode: "number" }).notNull(),
    name: text("name").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamptz("last_used_at"),
  },
  (table) => [index("passkey_credentials_user_id_idx").on(table.userId)],
);

export const webauthnChallengePurpose = pgEnum("webauthn_challenge_purpose", ["registration", "sign_in", "second_factor", "reauthentication"]);

// WebAuthn challenges, single-use and short-lived, shared by every instance. The row id is the SHA-256 of the
// challenge, which only the browser that asked holds until it comes back signed. sign_in challenges belong to
// nobody yet (the passkey names its account); the others to the account that asked.
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    id: text("id").primaryKey(),
    purpose: webauthnChallengePurpose("purpose").notNull(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamptz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("webauthn_challenges_expires_at_idx").on(table.expiresAt)],
);

// Fixed-window counters for sign-in and sign-up attempts, shared by every instance.
export const authRateLimits = pgTable(
  "auth_rate_limits",
  {
    key: text("key").primaryKey(),
    count: integer("count").notNull(),
    windowStartedAt: timestamptz("window_started_at").notNull(),
  },
  (table) => [index("auth_rate_limits_window_started_at_idx").on(table.windowStartedAt)],
);

// personal: made in the dashboard (mcp_). oauth_access / oauth_refresh: issued to an OAuth client (mcpo_ / mcpr_).
// legacy_jwt: one row per person whose HS256 JWTs from the older system ("Option A") were accepted; it holds
// no secret (its hash is not a token's), and names those calls in the activity trail.
export const tokenKind = pgEnum("token_kind", ["personal", "oauth_access", "oauth_refresh", "legacy_jwt"]);

// Clients registered through RFC 7591 dynamic registration. CIMD clients are not stored: their client_id is
// the URL of their metadata document, fetched (and cached) when they come.
export const oauthClients = pgTable(
  "oauth_clients",
  {
    // "dcr_" + random base62: what the client sends as client_id.
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    redirectUris: text("redirect_uris").array().notNull(),
    // none | client_secret_post | client_secret_basic
    tokenEndpointAuthMethod: text("token_endpoint_auth_method").notNull(),
    grantTypes: text("grant_types").array().notNull(),
    // SHA-256 (hex) of the client secret, for confidential clients only.
    secretHash: text("secret_hash"),
    // What else the client registered, echoed back as it sent it (RFC 7591 §3.2.1).
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    // Null until the client first exchanges a code: never-used registrations expire.
    lastUsedAt: timestamptz("last_used_at"),
  },
  (table) => [index("oauth_clients_unused_created_at_idx").on(table.createdAt).where(sql`${table.lastUsedAt} is null`)],
);

// One grant per connection (person × client, whatever loopback port it returns to): what the dashboard lists as
// a connected app. Made when the person presses Allow, but only connected (and listed) once a code of it is
// exchanged: a blocked or abandoned attempt leaves nothing listed, and its row is swept later.
export const oauthGrants = pgTable(
  "oauth_grants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // A CIMD URL or a DCR client id.
    clientId: text("client_id").notNull(),
    // As shown at consent: the name the client gave, and the host that vouches for it (null for DCR: unverified).
    clientName: text("client_name").notNull(),
    clientHost: text("client_host"),
    // Where the latest exchanged code was sent (a loopback port may differ from one sign-in to the next).
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes").array().notNull(),
    resource: text("resource").notNull(),
    createdAt: createdAt(),
    // When its first code was exchanged; null while pending (Allow pressed, the app not yet back).
    connectedAt: timestamptz("connected_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [
    index("oauth_grants_user_id_idx").on(table.userId, table.createdAt),
    // At most one live grant per person × client: connecting again, from any port, reuses it.
    uniqueIndex("oauth_grants_one_live_idx").on(table.userId, table.clientId).where(sql`${table.revokedAt} is null`),
    index("oauth_grants_pending_created_at_idx").on(table.createdAt).where(sql`${table.connectedAt} is null`),
  ],
);

export const oauthCodes = pgTable(
  "oauth_codes",
  {
    // SHA-256 (hex) of the authorization code; the code itself only travels in the redirect.
    codeHash: text("code_hash").primaryKey(),
    grantId: uuid("grant_id")
      .notNull()
      .references(() => oauthGrants.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    codeChallenge: text("code_challenge").notNull(),
    scopes: text("scopes").array().notNull(),
    resource: text("resource").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
  },
  (table) => [index("oauth_codes_grant_id_idx").on(table.grantId)],
);

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
    kind: tokenKind("kind").notNull().default("personal"),
    // OAuth tokens only: the grant they belong to, and the resource (RFC 8707 audience) they were issued for.
    grantId: uuid("grant_id").references(() => oauthGrants.id, { onDelete: "cascade" }),
    resource: text("resource"),
    // Refresh tokens: "rotated" once exchanged for a successor (a replay within the grace window is benign).
    revokedReason: text("revoked_reason"),
    // Refresh tokens: the refresh token this one replaced.
    rotatedFromId: uuid("rotated_from_id"),
    // OAuth tokens: SHA-256 (hex) of the authorization code whose exchange began this chain (one sign-in of the
    // app), kept through every refresh, so a replayed code, a reused refresh token or an RFC 7009 revocation ends
    // that chain and nothing else of the connection. No foreign key: spent codes are purged while their tokens
    // live on.
    codeHash: text("code_hash"),
    // Optional, set by the owner on the token's page: what the token is for.
    description: text("description"),
    // Personal tokens: one identity across regenerations (the id of its first secret), so the token's page,
    // chart and activity stay one while each secret keeps its own row (and its calls stay attributable).
    // Null for OAuth tokens.
    identityId: uuid("identity_id"),
    // Set when Regenerate replaced this secret with a new one. Its expires_at then says until when the old
    // secret keeps working (the overlap the person chose), so verification needs no extra rule.
    replacedAt: timestamptz("replaced_at"),
    // Set when a secret scanning partner (GitHub) reported the token found in public and it was revoked for it
    // (revoked_reason "found_public"): where it was found, and the kind of place ("content", "commit", …).
    leakUrl: text("leak_url"),
    leakSource: text("leak_source"),
    // Personal tokens with an expiry: when their owner was mailed that the token expires within 7 days, and
    // that it has expired. Each is claimed by the UPDATE … RETURNING that picks the token to mail, so several
    // instances never mail one notice twice (src/server/tokens/expiry-notices.ts).
    expiryWarningSentAt: timestamptz("expiry_warning_sent_at"),
    expiredNoticeSentAt: timestamptz("expired_notice_sent_at"),
  },
  (table) => [
    uniqueIndex("api_tokens_token_hash_idx").on(table.tokenHash),
    index("api_tokens_identity_id_idx").on(table.identityId),
    index("api_tokens_user_id_created_at_idx").on(table.userId, table.createdAt),
    index("api_tokens_grant_id_idx").on(table.grantId),
    index("api_tokens_rotated_from_id_idx").on(table.rotatedFromId),
    index("api_tokens_code_hash_idx").on(table.codeHash),
    // The OAuth retention purge's candidates (src/server/oauth/retention.ts).
    index("api_tokens_oauth_expires_at_idx")
      .on(table.expiresAt)
      .where(sql`${table.kind} in ('oauth_access', 'oauth_refresh')`),
    // The expiry notices' candidates: current, unrevoked personal tokens that expire.
    index("api_tokens_personal_expires_at_idx")
      .on(table.expiresAt)
      .where(sql`${table.kind} = 'personal' and ${table.replacedAt} is null and ${table.revokedAt} is null and ${table.expiresAt} is not null`),
  ],
);

// Browsers an account has signed in from, so a sign-in from any other is mailed to its owner (issue 22). The
// browser keeps a long-lived random value in a cookie; like sessions, the row holds only its SHA-256.
export const knownDevices = pgTable(
  "known_devices",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // SHA-256 (hex) of the device cookie's value.
    deviceHash: text("device_hash").notNull(),
    // As the first sign-in from it showed it, capped like sessions'.
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    lastSeenAt: timestamptz("last_seen_at").notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.deviceHash] }), index("known_devices_last_seen_at_idx").on(table.lastSeenAt)],
);

// The MCP per-token rate, shared by every instance: calls counted in the token's current fixed window.
// Instances take calls in leases (several at once) so that most calls cost no write; see mcp/shared-call-budget.ts (purged by activity/retention.ts).
export const mcpCallWindows = pgTable(
  "mcp_call_windows",
  {
    tokenId: uuid("token_id")
      .primaryKey()
      .references(() => apiTokens.id, { onDelete: "cascade" }),
    windowStartedAt: timestamptz("window_started_at").notNull(),
    calls: integer("calls").notNull(),
  },
  (table) => [index("mcp_call_windows_window_started_at_idx").on(table.windowStartedAt)],
);

// The MCP per-person rate beside it, counted the same way: all of one person's tokens together (many OAuth
// access tokens, say) get one budget, so more tokens do not multiply the calls a person may make.
export const mcpPersonCallWindows = pgTable(
  "mcp_person_call_windows",
  {
    userId: uuid("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    windowStartedAt: timestamptz("window_started_at").notNull(),
    calls: integer("calls").notNull(),
  },
  (table) => [index("mcp_person_call_windows_window_started_at_idx").on(table.windowStartedAt)],
);

// "Export my data" runs one at a time per person, across every instance: a lease row per export under way,
// renewed while it streams, so an instance that dies mid-export frees the slot within EXPORT_LEASE_SECONDS.
// UNLOGGED: a lease is worth nothing after a crash.
export const exportLeases = pgTable("export_leases", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  // Random per export: only the export that holds the lease renews or ends it.
  holder: uuid("holder").notNull(),
  expiresAt: timestamptz("expires_at").notNull(),
});

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
    // The IANA zone of the hospital's clocks: appointments are shown at its local time, labelled (issue 20 item 6).
    timeZone: text("time_zone").notNull().default("Europe/Paris"),
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
    // Deleting a token (the OAuth retention purge) sets its bookings' token to null, and the purge asks
    // whether a booking still names a token: both find them here instead of scanning every booking.
    index("bookings_created_by_token_id_idx")
      .on(table.createdByTokenId)
      .where(sql`${table.createdByTokenId} is not null`),
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
    // The first line of the error the client was given ("not on the quarter hour"), never the arguments.
    error: text("error"),
    // The MCP client as it named itself (clientInfo of initialize or of the 2026-07-28 envelope), when it did.
    clientName: text("client_name"),
    clientVersion: text("client_version"),
  },
  (table) => [
    // Read backwards for "newest first" (at desc, id desc). Not declared DESC: drizzle-kit would write
    // DESC NULLS LAST, which an ORDER BY … DESC (nulls first) cannot use.
    index("mcp_activity_token_id_at_idx").on(table.tokenId, table.at, table.id),
    index("mcp_activity_user_id_at_idx").on(table.userId, table.at, table.id),
    // Activity filtered by tool, and by a problem outcome: without these the walk back over the person's calls
    // skips every call that does not match, so a rare filter read far into the trail (issue 24). Problems are
    // a small share of calls, so their index is partial and the hot insert of an ok call does not pay for it;
    // filtering on ok needs no index of its own, since most calls are ok.
    index("mcp_activity_user_id_tool_at_idx").on(table.userId, table.tool, table.at, table.id),
    index("mcp_activity_user_id_problem_at_idx")
      .on(table.userId, table.outcome, table.at, table.id)
      .where(sql`${table.outcome} <> 'ok'`),
  ],
);

// The trail counted per token, quarter hour and outcome: what the 30-day charts read (dailyActivity), whatever the
// trail's size. Kept by a trigger on mcp_activity (its migration) in the statement that writes the trail, so the two
// agree whoever writes it. Quarter hours are grouped into days in the person's zone when read: every zone's offset
// is a whole number of quarter hours (India's +05:30, Nepal's +05:45), so each day is exact where hours would not
// be. Kept for the activity retention, and at least 32 days (src/server/activity/retention.ts).
export const mcpActivityRollup = pgTable(
  "mcp_activity_rollup",
  {
    tokenId: uuid("token_id").notNull(),
    // The quarter hour the calls arrived in: date_bin('15 minutes', at, '2000-01-01 00:00:00+00').
    quarterHour: timestamptz("quarter_hour").notNull(),
    outcome: mcpActivityOutcome("outcome").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    calls: integer("calls").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tokenId, table.quarterHour, table.outcome] }),
    index("mcp_activity_rollup_user_id_quarter_hour_idx").on(table.userId, table.quarterHour),
    // The retention job deletes by age alone.
    index("mcp_activity_rollup_quarter_hour_idx").on(table.quarterHour),
  ],
);
