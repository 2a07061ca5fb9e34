import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { z } from "zod";
import {
  addPasskey,
  appRelyingParty,
  assertionResponseSchema,
  CHALLENGE_LIFETIME_MS,
  createWebAuthnChallenge,
  ensureRoomForPasskey,
  listPasskeyCredentialIds,
  listPasskeys,
  passkeyNameSchema,
  passkeyUserHandle,
  registrationResponseSchema,
  removePasskey,
  renamePasskey,
  verifyPasskeyAssertion,
} from "~/server/auth/passkeys";
import { hasSecondFactor, recoveryCodesForNewFactor } from "~/server/auth/second-factor";
import type { SessionUser } from "~/server/auth/session";
import { SUPPORTED_ALGORITHMS } from "~/server/auth/webauthn";
import { notifySecondFactorAdded, notifySecondFactorRemoved, requestOrigin } from "~/server/email/security-mail";
import { metrics } from "~/server/observability/metrics";
import { DomainError } from "~/server/domain-error";
import { createTRPCRouter, domainProcedure, publicDomainProcedure, sudoProcedure } from "~/server/api/trpc";
import { AWAITING_CONFIRMATION_MESSAGE, enforceAttemptLimit, startSession } from "./auth";

const passkeyIdSchema = z.uuid({ error: "Not a valid passkey id." });

/** What navigator.credentials.get needs besides the challenge (the browser's options, as JSON-friendly values). */
export interface PasskeyRequestOptions {
  challenge: string;
  rpId: string;
  timeoutMs: number;
  /** The credentials the browser may use (base64url); empty: any passkey of this site, chosen by the person. */
  allowCredentialIds: string[];
}

export const passkeysRouter = createTRPCRouter({
  list: domainProcedure.query(({ ctx }) => listPasskeys(ctx.db, ctx.user.id)),

  /** What navigator.credentials.create needs to make a passkey for this account, to be called `name`. */
  registrationOptions: domainProcedure.input(z.object({ name: passkeyNameSchema })).mutation(async ({ ctx }) => {
    // The name is checked (input) and room made sure of before the person is asked to touch anything.
    await ensureRoomForPasskey(ctx.db, ctx.user.id);
    const rp = appRelyingParty();
    return {
      challenge: await createWebAuthnChallenge(ctx.db, "registration", ctx.user.id),
      rp: { id: rp.id, name: "Carestral" },
      user: { id: encodeBase64urlNoPadding(passkeyUserHandle(ctx.user.id)), name: ctx.user.email, displayName: `${ctx.user.firstname} ${ctx.user.surname}` },
      algorithms: [...SUPPORTED_ALGORITHMS],
      // Not a second passkey of this account on an authenticator that holds one already.
      excludeCredentialIds: await listPasskeyCredentialIds(ctx.db, ctx.user.id),
      timeoutMs: CHALLENGE_LIFETIME_MS,
    };
  }),

  /**
   * Adds the passkey; from now on the password alone no longer signs in. As the account's first second factor it
   * brings the ten recovery codes, shown this once (null when the person has a set already).
   */
  add: domainProcedure.input(z.object({ name: passkeyNameSchema, response: registrationResponseSchema })).mutation(async ({ ctx, input }) => {
    const hadSecondFactor = await hasSecondFactor(ctx.db, ctx.user.id);
    const passkey = await addPasskey(ctx.db, { userId: ctx.user.id, name: input.name, response: input.response });
    const recoveryCodes = await recoveryCodesForNewFactor(ctx.db, ctx.user.id, hadSecondFactor);
    void notifySecondFactorAdded(ctx.db, ctx.user.id, { method: "passkey", name: passkey.name }, requestOrigin(ctx.headers));
    return { ...passkey, recoveryCodes };
  }),

  rename: domainProcedure.input(z.object({ id: passkeyIdSchema, name: passkeyNameSchema })).mutation(async ({ ctx, input }) => {
    await renamePasskey(ctx.db, ctx.user.id, input.id, input.name);
    return { renamed: true as const };
  }),

  /**
   * Removing a passkey takes away a way in: it needs sudo mode, always (not only for the last one). The last second
   * factor takes the recovery codes with it (`twoFactorOff`).
   */
  remove: sudoProcedure.input(z.object({ id: passkeyIdSchema })).mutation(async ({ ctx, input }) => {
    const removed = await removePasskey(ctx.db, ctx.user.id, input.id);
    void notifySecondFactorRemoved(ctx.db, ctx.user.id, { method: "passkey", name: removed.name, twoFactorOff: removed.twoFactorOff }, requestOrigin(ctx.headers));
    return removed;
  }),

  /**
   * A challenge for signing in with a passkey instead of the password. Counted as a sign-in attempt of the caller's
   * address: each writes a row, and nobody is signed in yet to count it against.
   */
  signInOptions: publicDomainProcedure.mutation(async ({ ctx }): Promise<PasskeyRequestOptions> => {
    await enforceAttemptLimit(ctx, "signin", null);
    return { challenge: await createWebAuthnChallenge(ctx.db, "sign_in", null), rpId: appRelyingParty().id, timeoutMs: CHALLENGE_LIFETIME_MS, allowCredentialIds: [] };
  }),

  /** Signs in with a passkey that verified its user: the passkey is both factors, so no password and no second step. */
  signIn: publicDomainProcedure.input(z.object({ response: assertionResponseSchema })).mutation(async ({ ctx, input }): Promise<SessionUser> => {
    let verified;
    try {
      verified = await verifyPasskeyAssertion(ctx.db, { purpose: "sign_in", userId: null, response: input.response });
    } catch (error) {
      metrics().signIns.inc({ outcome: "passkey_refused" });
      throw error;
    }
    const { awaitingConfirmation, ...user } = verified.user;
    if (awaitingConfirmation) throw new DomainError("forbidden", AWAITING_CONFIRMATION_MESSAGE);
    metrics().signIns.inc({ outcome: "passkey_ok" });
    await startSession(ctx, user, "passkey");
    return user;
  }),
});
