import { randomUUID } from "node:crypto";
import { and, count, desc, eq, gt, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import { batchedLookup } from "~/server/db/batched-lookup";
import type { Database } from "~/server/db/client";
import { apiTokens, users } from "~/server/db/schema";
import { UUID_PATTERN } from "~/server/db/uuid";
import { DomainError } from "~/server/domain-error";
import { legacyJwtSettings, looksLikeJwt, verifyLegacyJwt } from "~/server/legacy-jwt/verify";
import { EXPIRY_WARNING_DAYS, generateTokenInputSchema, MAX_ACTIVE_TOKENS, MAX_TOKEN_EXPIRY_DAYS, REGENERATE_OVERLAPS, type RegenerateOverlap } from "./schemas";
import { isTokenScope, type TokenScope } from "./scopes";
import { generateTokenString, hashToken, tokenPrefix, wellFormedTokenKind, type TokenKind } from "./token";
import { log } from "~/server/observability/logger";
import { describeError } from "~/server/describe-error";

// The token service: personal tokens (generate, list, revoke, regenerate, edit) and the verification of every
// bearer token in `api_tokens`. DESIGN: Tokens. Others write the table too, each for its own kind or case:
// oauth/ (OAuth tokens, ended with their grant), account/revoke-access.ts (all of a person's), token-leaks/
// (a reported token), legacy-jwt/ (its record of an Option A JWT), expiry-notices.ts (when a notice went).
// Every time comparison uses the database clock (now()), so instances with skewed clocks agree.

export type TokenStatus = "active" | "expired" | "revoked";

export interface TokenSummary {
  id: string;
  name: string;
  /** "mcp_" + the first 8 random characters: enough to recognise a token, useless to an attacker. */
  prefix: string;
  scopes: TokenScope[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  status: TokenStatus;
}

export interface GeneratedToken {
  /** The plaintext, returned this once and never again. */
  token: string;
  id: string;
  prefix: string;
  name: string;
  scopes: TokenScope[];
  expiresAt: Date | null;
  createdAt: Date;
}

/** Who calls with a verified bearer token: the person, and the token with what it may do. */
export interface TokenCaller {
  user: { id: string; email: string; firstname: string; surname: string };
  token: {
    id: string;
    name: string;
    scopes: TokenScope[];
    expiresAt: Date | null;
    kind: TokenKind;
    grantId: string | null;
    createdAt: Date;
    /** The resource (audience) an OAuth token was issued for; null for personal tokens. */
    resource: string | null;
  };
}

export type BearerVerification =
  | { ok: true; caller: TokenCaller }
  | { ok: false; reason: keyof typeof VERIFICATION_DESCRIPTIONS; description: string };

// Safe inside WWW-Authenticate's quoted error_description: no token, no quotes, no backslashes.
const VERIFICATION_DESCRIPTIONS = {
  missing: "Send a personal access token in the Authorization header as Bearer mcp_...",
  malformed: "The token is malformed or mistyped. Check that it was pasted whole, or create a new one in the Carestral dashboard.",
  unknown: "The token is not recognised. Create a new one in the Carestral dashboard.",
  expired: "The token has expired. Create a new one in the Carestral dashboard.",
  revoked: "The token has been revoked. Create a new one in the Carestral dashboard.",
  refresh_token: "This is an OAuth refresh token. Exchange it at the token endpoint and send the access token instead.",
  wrong_resource: "The token was issued for another resource. Authorize again for this MCP server.",
} as const;

// An OAuth access token (mcpo_) was never created in the dashboard: the person gets a new one by reconnecting
// the app, which sends them through Carestral's sign-in and consent again.
const OAUTH_ACCESS_DESCRIPTIONS: Partial<Record<keyof typeof VERIFICATION_DESCRIPTIONS, string>> = {
  unknown: "The access token is not recognised. Reconnect the app to Carestral to sign in again.",
  expired: "The access token has expired. Refresh it at the token endpoint, or reconnect the app to Carestral.",
  revoked: "Access for this app has been revoked. Reconnect the app to Carestral to allow it again.",
};

const isExpired = sql<boolean>`(${apiTokens.expiresAt} is not null and ${apiTokens.expiresAt} <= now())`;
const isActive = and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)));
// The dashboard's tokens list, cap and names concern personal tokens; OAuth tokens belong to their grant.
const isPersonal = eq(apiTokens.kind, "personal");
// A personal token's current secret: the one Regenerate has not replaced. The list, the cap and the names
// count identities through it; a replaced secret still working during its overlap is shown on the token's page.
const isCurrent = and(isPersonal, isNull(apiTokens.replacedAt));
const tokenStatus = sql<TokenStatus>`case when ${apiTokens.revokedAt} is not null then 'revoked' when ${isExpired} then 'expired' else 'active' end`;
// The last-use throttle: at most one write per token per minute.
const lastUsedIsStale = sql<boolean>`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < now() - interval '1 minute')`;

// Named columns only: token_hash never leaves this module.
const summaryColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.tokenPrefix,
  scopes: apiTokens.scopes,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
  lastUsedAt: apiTokens.lastUsedAt,
  status: tokenStatus,
};

// What generateToken and regenerateToken read back from the row they insert (the plaintext is added after).
const generatedColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.tokenPrefix,
  scopes: apiTokens.scopes,
  expiresAt: apiTokens.expiresAt,
  createdAt: apiTokens.createdAt,
};

function knownScopes(scopes: string[]): TokenScope[] {
  return scopes.filter(isTokenScope);
}

function toSummary(row: Omit<TokenSummary, "scopes"> & { scopes: string[] }): TokenSummary {
  return { ...row, scopes: knownScopes(row.scopes) };
}

/**
 * Creates a token for `userId` and returns its plaintext, once. Throws a `DomainError` when the name is
 * taken by another active token, when the user already holds MAX_ACTIVE_TOKENS active tokens, or when the
 * input breaks a rule (the router validates first; this keeps the service safe for any other caller).
 */
export async function generateToken(
  db: Database,
  userId: string,
  input: { name: string; scopes: TokenScope[]; expiresInDays: number | null },
): Promise<GeneratedToken> {
  const parsed = generateTokenInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    throw new DomainError("invalid", issue?.message ?? "Invalid token settings.", typeof field === "string" ? field : undefined);
  }
  const { name, scopes, expiresInDays } = parsed.data;
  if (!UUID_PATTERN.test(userId)) throw userNotFound();

  const token = generateTokenString();
  const row = await db.transaction(async (tx) => {
    // Lock the owner's row so concurrent generations for one person run one at a time: the cap and the
    // name check below then see every token committed before them (works alike on PGlite and PostgreSQL).
    const [owner] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
    if (!owner) throw userNotFound();

    const [usage] = await tx
      .select({
        active: count(),
        nameTaken: sql<boolean>`coalesce(bool_or(lower(${apiTokens.name}) = lower(${name})), false)`,
      })
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, userId), isCurrent, isActive));
    if (usage && usage.active >= MAX_ACTIVE_TOKENS) {
      throw new DomainError(
        "forbidden",
        `You already have ${MAX_ACTIVE_TOKENS} active tokens, the most allowed. Revoke one you no longer use, then try again.`,
      );
    }
    if (usage?.nameTaken) {
      throw new DomainError("conflict", "You already have an active token with this name. Choose another name.", "name");
    }

    // The first secret's id names the identity every later regeneration keeps.
    const id = randomUUID();
    const [inserted] = await tx
      .insert(apiTokens)
      .values({
        id,
        identityId: id,
        userId,
        name,
        tokenHash: hashToken(token),
        tokenPrefix: tokenPrefix(token),
        scopes,
        expiresAt: expiresInDays === null ? null : sql`now() + make_interval(days => ${expiresInDays})`,
      })
      .returning(generatedColumns);
    if (!inserted) throw new Error("Inserting the token returned no row");
    return inserted;
  });
  return { token, ...row, scopes: knownScopes(row.scopes) };
}

/** The user's tokens, newest first, without any secret. */
export async function listTokens(db: Database, userId: string): Promise<TokenSummary[]> {
  if (!UUID_PATTERN.test(userId)) return [];
  const rows = await db
    .select(summaryColumns)
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isCurrent))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(toSummary);
}

/** The identity of one of the user's personal tokens (any of its secrets' ids), as a subquery. */
function identityOf(userId: string, tokenId: string) {
  return sql`(select ${apiTokens.identityId} from ${apiTokens} where ${apiTokens.id} = ${tokenId} and ${apiTokens.userId} = ${userId} and ${apiTokens.kind} = 'personal')`;
}

/**
 * Revokes one of the user's tokens (given any of its secrets' ids): every secret of it, the current one and an
 * old one still in its overlap, fails verification everywhere from now on. Revoking again keeps the first
 * revocation time. Returns the current secret, or null when there is no such token or it is someone else's.
 */
export async function revokeToken(db: Database, userId: string, tokenId: string): Promise<TokenSummary | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(tokenId)) return null;
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(and(eq(apiTokens.userId, userId), isPersonal, eq(apiTokens.identityId, identityOf(userId, tokenId))))
    .returning({ ...summaryColumns, replacedAt: apiTokens.replacedAt });
  const current = rows.find((row) => row.replacedAt === null);
  if (!current) return null;
  const { replacedAt: _replacedAt, ...summary } = current;
  return toSummary(summary);
}

/**
 * Checks the raw Authorization header of an MCP request. The hot path: format and checksum first (a
 * made-up token never reaches the database), then one query on the unique token_hash index joined to
 * the owner, shared with the verifications of the same event-loop turn. No cache, so a revocation applies
 * to the very next request on every instance. Database errors propagate: the caller answers 503.
 *
 * Personal and OAuth access tokens authenticate alike. A refresh token never does, and an OAuth token
 * issued for another resource than `resource` is refused (RFC 8707, MCP authorization "Token Audience Binding").
 */
export async function verifyBearerToken(
  database: Database | (() => Promise<Database>),
  authorization: string | null,
  resource?: string,
): Promise<BearerVerification> {
  const parsed = parseBearer(authorization);
  if (!parsed.ok) {
    // Option A migration: the older system's JWTs, only while MCP_JWT_SECRET is set.
    const jwt = readBearerToken(authorization);
    const legacy = jwt !== null && looksLikeJwt(jwt) ? legacyJwtSettings() : null;
    if (legacy && jwt !== null) return verifyLegacyBearer(typeof database === "function" ? await database() : database, jwt, legacy);
    return parsed.refusal;
  }
  const { token, kind } = parsed;

  // Given as a function, the database is opened only for a token worth looking up.
  const db = typeof database === "function" ? await database() : database;
  const row = await verificationLookup(db)(hashToken(token));
  if (!row || row.kind !== kind) return refusal("unknown", kind);
  if (row.revoked) return refusal("revoked", kind);
  if (row.expired) return refusal("expired", kind);
  if (row.resource !== null && resource !== undefined && row.resource !== resource) return refusal("wrong_resource");

  if (row.lastUsedIsStale) recordTokenUse(db, row.id);
  return {
    ok: true,
    caller: {
      user: { id: row.user.id, email: row.user.email, firstname: row.user.firstname, surname: row.user.surname },
      token: {
        id: row.id,
        name: row.name,
        scopes: knownScopes(row.scopes),
        expiresAt: row.expiresAt,
        kind: row.kind,
        grantId: row.grantId,
        createdAt: row.createdAt,
        // OAuth tokens: the resource (audience) they were issued for; null for personal tokens.
        resource: row.resource,
      },
    },
  };
}

/** A legacy JWT as the MCP layer sees any caller: a person, scopes, and a token row (the person's legacy_jwt row). */
async function verifyLegacyBearer(db: Database, jwt: string, settings: NonNullable<ReturnType<typeof legacyJwtSettings>>): Promise<BearerVerification> {
  const verified = await verifyLegacyJwt(db, jwt, settings);
  if (!verified.ok) return refusal(verified.reason);
  const { user, scopes, expiresAt, rowId } = verified;
  return {
    ok: true,
    caller: {
      user,
      token: {
        id: rowId,
        name: "Legacy JWT",
        scopes,
        expiresAt,
        // The MCP layer treats it as a personal token; its api_tokens row (kind legacy_jwt) names it everywhere else.
        kind: "personal",
        grantId: null,
        createdAt: expiresAt,
        resource: null,
      },
    },
  };
}

/**
 * The refusals that need no database: no token, a malformed or mistyped one, a refresh token (refused by its
 * prefix alone: it is only ever sent to the token endpoint).
 */
function parseBearer(authorization: string | null): { ok: true; token: string; kind: TokenKind } | { ok: false; refusal: BearerVerification } {
  const token = readBearerToken(authorization);
  if (token === null) return { ok: false, refusal: refusal("missing") };
  const kind = wellFormedTokenKind(token);
  if (kind === null) return { ok: false, refusal: refusal("malformed") };
  if (kind === "oauth_refresh") return { ok: false, refusal: refusal("refresh_token") };
  return { ok: true, token, kind };
}

function buildVerificationQuery(db: Database) {
  return db
    .select({
      tokenHash: apiTokens.tokenHash,
      id: apiTokens.id,
      name: apiTokens.name,
      scopes: apiTokens.scopes,
      expiresAt: apiTokens.expiresAt,
      createdAt: apiTokens.createdAt,
      kind: apiTokens.kind,
      grantId: apiTokens.grantId,
      resource: apiTokens.resource,
      revoked: sql<boolean>`(${apiTokens.revokedAt} is not null)`,
      expired: isExpired,
      lastUsedIsStale,
      user: { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname },
    })
    .from(apiTokens)
    .innerJoin(users, eq(apiTokens.userId, users.id))
    .where(sql`${apiTokens.tokenHash} = any(${sql.placeholder("tokenHashes")})`)
    .prepare("verify_bearer_tokens");
}

type VerificationRow = Awaited<ReturnType<ReturnType<typeof buildVerificationQuery>["execute"]>>[number];

/**
 * The hot path's query, built once per database as a prepared statement (building it per request cost more CPU
 * than PostgreSQL spends answering it). Verifications arriving in the same event-loop turn share one execution,
 * `token_hash = any($1)`: one round trip and one pass through the driver instead of one each. Every row is
 * handed back by its own token_hash (unique), so a caller only ever sees the row of the token it sent.
 */
const verificationLookups = new WeakMap<Database, (tokenHash: string) => Promise<VerificationRow | undefined>>();

function verificationLookup(db: Database): (tokenHash: string) => Promise<VerificationRow | undefined> {
  let lookup = verificationLookups.get(db);
  if (!lookup) {
    const query = buildVerificationQuery(db);
    lookup = batchedLookup(async (tokenHashes: string[]) => {
      const rows = await query.execute({ tokenHashes });
      return new Map(rows.map((row) => [row.tokenHash, row]));
    });
    verificationLookups.set(db, lookup);
  }
  return lookup;
}

/** The credentials of a `Bearer` Authorization header (scheme case-insensitive, RFC 7235 §2.1), or null. */
export function readBearerToken(authorization: string | null): string | null {
  const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(authorization?.trim() ?? "");
  const credentials = match?.[1]?.trim();
  return credentials ? credentials : null;
}

/** A refusal by reason; `kind` is the kind the token's prefix claims, which decides what to tell its holder. */
function refusal(reason: keyof typeof VERIFICATION_DESCRIPTIONS, kind?: TokenKind): BearerVerification {
  const description = (kind === "oauth_access" ? OAUTH_ACCESS_DESCRIPTIONS[reason] : undefined) ?? VERIFICATION_DESCRIPTIONS[reason];
  return { ok: false, reason, description };
}

function userNotFound(): DomainError {
  return new DomainError("unauthorized", "Your account was not found. Sign in again.");
}

// Writes of last_used_at still in flight. They run after the verification has answered, so a slow write
// never delays a request; tests await them through settleLastUsedWrites().
const pendingLastUsedWrites = new Set<Promise<void>>();

function recordTokenUse(db: Database, tokenId: string): void {
  const write = db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    // Conditional, so concurrent requests on several instances still write at most once a minute.
    .where(and(eq(apiTokens.id, tokenId), lastUsedIsStale))
    .then(
      () => {},
      (error: unknown) => {
        log.error(`Could not record the last use of token ${tokenId}: ${describeError(error)}`);
      },
    );
  pendingLastUsedWrites.add(write);
  void write.finally(() => pendingLastUsedWrites.delete(write));
}

/** Resolves once every last_used_at write started so far has finished (they never reject). */
export async function settleLastUsedWrites(): Promise<void> {
  await Promise.all(pendingLastUsedWrites);
}

export interface TokenDetails extends TokenSummary {
  description: string | null;
  /** The lifetime it was created with, in days; null = never expires. Regenerate keeps it. */
  expiresInDays: number | null;
  /** Every secret this token has had (the current one first): its history is theirs together. */
  secretIds: string[];
  /** The secret Regenerate replaced, while it still works (the overlap chosen then). */
  previousSecret: { prefix: string; worksUntil: Date } | null;
  /** Set when a secret of it was reported found in public and revoked for it (DESIGN: Tokens beyond this deployment). */
  foundPublic: { prefix: string; url: string | null; source: string | null; at: Date } | null;
}

// expires_at was set to created_at + N days in the statement that created the row (one now()), so the
// difference is exactly the lifetime chosen (after setTokenExpiry, the span from creation to the new end).
const lifetimeDays = sql<number | null>`(extract(epoch from (${apiTokens.expiresAt} - ${apiTokens.createdAt})) / 86400)::int`;

/**
 * One of the user's tokens, given any of its secrets' ids: its current secret's settings, description, every
 * secret's id and the replaced secret still in its overlap. Null when there is none or it is someone else's.
 */
export async function getToken(db: Database, userId: string, tokenId: string): Promise<TokenDetails | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(tokenId)) return null;
  const rows = await db
    .select({
      ...summaryColumns,
      description: apiTokens.description,
      expiresInDays: lifetimeDays,
      replacedAt: apiTokens.replacedAt,
      stillWorks: sql<boolean>`${isActive}`,
      revokedReason: apiTokens.revokedReason,
      leakUrl: apiTokens.leakUrl,
      leakSource: apiTokens.leakSource,
    })
    .from(apiTokens)
    .where(and(eq(apiTokens.userId, userId), isPersonal, eq(apiTokens.identityId, identityOf(userId, tokenId))))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  const current = rows.find((row) => row.replacedAt === null);
  if (!current) return null;
  const { replacedAt: _replacedAt, stillWorks: _stillWorks, revokedReason: _reason, leakUrl: _url, leakSource: _source, description, expiresInDays, ...summary } = current;
  const previous = rows.find((row) => row.replacedAt !== null && row.stillWorks && row.expiresAt !== null);
  const leaked = rows.find((row) => row.revokedReason === "found_public" && row.revokedAt !== null);
  return {
    ...toSummary(summary),
    description,
    expiresInDays,
    secretIds: rows.map((row) => row.id),
    previousSecret: previous?.expiresAt ? { prefix: previous.prefix, worksUntil: previous.expiresAt } : null,
    foundPublic: leaked?.revokedAt ? { prefix: leaked.prefix, url: leaked.leakUrl, source: leaked.leakSource, at: leaked.revokedAt } : null,
  };
}

/** Sets (or clears, with null) a token's description. Null when there is no such token among the user's. */
export async function setTokenDescription(db: Database, userId: string, tokenId: string, description: string | null): Promise<TokenDetails | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(tokenId)) return null;
  const [row] = await db
    .update(apiTokens)
    .set({ description })
    .where(and(eq(apiTokens.userId, userId), isCurrent, eq(apiTokens.identityId, identityOf(userId, tokenId))))
    .returning({ id: apiTokens.id });
  return row ? getToken(db, userId, tokenId) : null;
}

/**
 * Moves an active token's expiry to `expiresInDays` from now (null = never), as GitHub lets fine-grained tokens be
 * edited; the secret stays the same. An old secret still in its overlap keeps its own end. A revoked or expired
 * token is refused: revoking is final, and an expired one gets a new secret through Regenerate. Null when there
 * is no such token among the user's.
 */
export async function setTokenExpiry(db: Database, userId: string, tokenId: string, expiresInDays: number | null): Promise<TokenDetails | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(tokenId)) return null;
  const current = await getToken(db, userId, tokenId);
  if (!current) return null;
  const [row] = await db
    .update(apiTokens)
    .set({
      expiresAt: expiresInDays === null ? null : sql`now() + make_interval(days => ${expiresInDays})`,
      // A new end, new notices (expiry-notices.ts); none ahead of an end its owner has just set within the week.
      expiryWarningSentAt: expiresInDays !== null && expiresInDays <= EXPIRY_WARNING_DAYS ? sql`now()` : null,
      expiredNoticeSentAt: null,
    })
    .where(and(eq(apiTokens.id, current.id), eq(apiTokens.userId, userId), isCurrent, isActive))
    .returning({ id: apiTokens.id });
  if (!row) {
    throw new DomainError(
      "conflict",
      current.status === "revoked"
        ? "This token is revoked and stays so: create a new token instead."
        : "This token has expired: Regenerate it for a new secret with a new expiry.",
      "expiresInDays",
    );
  }
  return getToken(db, userId, tokenId);
}

/**
 * GitHub's "Regenerate token", with Stripe's "roll key" overlap: a new secret for the same token (identity, name,
 * scopes, description, lifetime counted from now). The old secret stops working now, or keeps working for the
 * `overlap` chosen so clients can be moved over; a secret replaced earlier and still in its overlap stops now.
 * An expired token can be regenerated too (a revoked one cannot: revoking is final). Null when there is no such
 * token among the user's.
 */
export async function regenerateToken(
  db: Database,
  userId: string,
  tokenId: string,
  overlap: RegenerateOverlap = "none",
): Promise<GeneratedToken | null> {
  if (!UUID_PATTERN.test(userId) || !UUID_PATTERN.test(tokenId)) return null;
  if (!Object.hasOwn(REGENERATE_OVERLAPS, overlap)) throw new DomainError("invalid", "Choose how long the old secret keeps working.", "overlap");
  const overlapHours = REGENERATE_OVERLAPS[overlap].hours;
  const token = generateTokenString();
  const row = await db.transaction(async (tx) => {
    const [old] = await tx
      .select({
        id: apiTokens.id,
        identityId: apiTokens.identityId,
        name: apiTokens.name,
        scopes: apiTokens.scopes,
        description: apiTokens.description,
        expiresInDays: lifetimeDays,
        revoked: sql<boolean>`(${apiTokens.revokedAt} is not null)`,
        active: sql<boolean>`${isActive}`,
      })
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, userId), isCurrent, eq(apiTokens.identityId, identityOf(userId, tokenId))))
      .for("update");
    if (!old?.identityId) return null;
    if (old.revoked) throw new DomainError("invalid", "A revoked token cannot be regenerated. Create a new token instead.");
    // An expiry moved later by setTokenExpiry can make the span from creation longer than any lifetime offered.
    const lifetime = old.expiresInDays === null ? null : Math.min(Math.max(old.expiresInDays, 1), MAX_TOKEN_EXPIRY_DAYS);
    // Only one old secret overlaps at a time: one replaced earlier and still working stops now.
    await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiTokens.identityId, old.identityId), eq(apiTokens.userId, userId), isNotNull(apiTokens.replacedAt), isActive, ne(apiTokens.id, old.id)));
    await tx
      .update(apiTokens)
      .set(
        !old.active
          ? { replacedAt: sql`now()` }
          : overlapHours === 0
            ? { replacedAt: sql`now()`, revokedAt: sql`now()` }
            : {
                replacedAt: sql`now()`,
                // Never later than it would have expired anyway.
                expiresAt: sql`least(coalesce(${apiTokens.expiresAt}, 'infinity'::timestamptz), now() + make_interval(hours => ${overlapHours}))`,
              },
      )
      .where(eq(apiTokens.id, old.id));
    const [inserted] = await tx
      .insert(apiTokens)
      .values({
        userId,
        identityId: old.identityId,
        name: old.name,
        description: old.description,
        tokenHash: hashToken(token),
        tokenPrefix: tokenPrefix(token),
        scopes: old.scopes,
        expiresAt: lifetime === null ? null : sql`now() + make_interval(days => ${lifetime})`,
      })
      .returning(generatedColumns);
    if (!inserted) throw new Error("Inserting the token returned no row");
    return inserted;
  });
  return row ? { token, ...row, scopes: knownScopes(row.scopes) } : null;
}
