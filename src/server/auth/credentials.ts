import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "~/server/db/client";
import { lineOfText } from "~/server/text";
import { users } from "~/server/db/schema";
import { hashPassword, passwordWeakness, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyAgainstDummyHash, verifyPassword } from "./password";
import type { SessionUser } from "./session";

// Emails are compared trimmed and lower-case; the unique index on users.email does the rest.
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(
    z
      .email({ error: "Enter a valid email address, like name@example.com." })
      .max(254, { error: "An email address has at most 254 characters." }),
  );

const nameSchema = (label: string) =>
  lineOfText(`Your ${label} can only use printable characters.`)
    .min(1, { error: `Enter your ${label}.` })
    .max(100, { error: `Your ${label} can have at most 100 characters.` });

export const firstnameSchema = nameSchema("first name");
export const surnameSchema = nameSchema("surname");

/**
 * The rules for a password someone chooses: at sign-up, at reset, on /settings. The one place they live,
 * so every form enforces the same ones.
 */
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { error: `Use at least ${PASSWORD_MIN_LENGTH} characters.` })
  .max(PASSWORD_MAX_LENGTH, { error: `Use at most ${PASSWORD_MAX_LENGTH} characters.` })
  .superRefine((password, ctx) => {
    const weakness = passwordWeakness(password);
    if (weakness) ctx.addIssue({ code: "custom", message: weakness });
  });

/** A password typed to prove who you are: no minimum, a short one is simply a wrong one. */
export const currentPasswordSchema = z
  .string()
  .min(1, { error: "Enter your password." })
  .max(PASSWORD_MAX_LENGTH, { error: `Use at most ${PASSWORD_MAX_LENGTH} characters.` });

export const signUpInputSchema = z.object({
  email: emailSchema,
  firstname: firstnameSchema,
  surname: surnameSchema,
  password: newPasswordSchema,
});
export type SignUpInput = z.infer<typeof signUpInputSchema>;

export const signInInputSchema = z.object({
  email: emailSchema,
  // No minimum here: a short password is simply a wrong one, and must not be told apart.
  password: currentPasswordSchema,
});
export type SignInInput = z.infer<typeof signInInputSchema>;

const sessionUserColumns = { id: users.id, email: users.email, firstname: users.firstname, surname: users.surname };

export type CreateUserResult = { ok: true; user: SessionUser } | { ok: false; reason: "email-taken" };

/**
 * Creates an account. A taken email, including one taken by a concurrent sign-up, is an answer, not an error;
 * the password is hashed either way, so both answers cost the same. `awaitingConfirmation`: no sign-in until the
 * mailed confirmation link is followed.
 */
export async function createUser(
  db: Database,
  input: SignUpInput,
  clientIp = "unknown",
  options: { awaitingConfirmation?: boolean } = {},
): Promise<CreateUserResult> {
  const passwordHash = await hashPassword(input.password, clientIp);
  const [user] = await db
    .insert(users)
    .values({ email: input.email, firstname: input.firstname, surname: input.surname, passwordHash, awaitingConfirmation: options.awaitingConfirmation ?? false })
    .onConflictDoNothing({ target: users.email })
    .returning(sessionUserColumns);
  return user ? { ok: true, user } : { ok: false, reason: "email-taken" };
}

/**
 * The user whose email and password these are, or null; takes the same time whether or not the email exists.
 * `awaitingConfirmation`: the right password, but the account's confirmation link was never followed.
 */
export async function authenticateUser(
  db: Database,
  input: SignInInput,
  clientIp = "unknown",
): Promise<(SessionUser & { awaitingConfirmation: boolean }) | null> {
  const [row] = await db
    .select({ ...sessionUserColumns, passwordHash: users.passwordHash, awaitingConfirmation: users.awaitingConfirmation })
    .from(users)
    .where(eq(users.email, input.email));
  if (!row) {
    await verifyAgainstDummyHash(input.password, clientIp);
    return null;
  }
  const { passwordHash, ...user } = row;
  return (await verifyPassword(passwordHash, input.password, clientIp)) ? user : null;
}

/** Whether `password` is the account's current one (settings, Confirm access); false for an account that is gone. */
export async function verifyUserPassword(db: Database, userId: string, password: string, clientIp = "unknown"): Promise<boolean> {
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return row ? verifyPassword(row.passwordHash, password, clientIp) : false;
}

/** The account as a session shows it, or null when it no longer exists. */
export async function findSessionUser(db: Database, userId: string): Promise<SessionUser | null> {
  const [user] = await db.select(sessionUserColumns).from(users).where(eq(users.id, userId));
  return user ?? null;
}
