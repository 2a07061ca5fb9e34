import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { requestEmailChange, EMAIL_IN_USE_MESSAGE, SAME_EMAIL_MESSAGE } from "~/server/account/email-change";
import { createCaller } from "~/server/api/root";
import { createInnerTRPCContext } from "~/server/api/trpc";
import { SOCKET_ADDRESS_HEADER } from "~/server/auth/client-ip";
import { readSessionCookie } from "~/server/auth/cookie";
import { createEmailLinkToken } from "~/server/auth/email-links";
import { sessionIdFromToken, validateSessionToken } from "~/server/auth/session";
import { SudoRequiredError } from "~/server/auth/sudo";
import { emailLinks, sessions, users } from "~/server/db/schema";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { EMAIL_CHANGE_LINK_INVALID_MESSAGE, EMAIL_CHANGE_TAKEN_MESSAGE } from "./account";

// Changing the email address (issue 22 item 2), through the router on both databases. No SMTP_URL here, so mail
// is printed to the log (development's stand-in), which is where these tests read it, as a developer would.

let personCount = 0;
let anonymousCount = 0;

interface LoggedMail {
  to: string;
  subject: string;
  text: string;
}

describe.each(engines)("changing the email address on %s", (engine) => {
  const testDb = useTestDatabase(engine);
  let info: MockInstance<typeof console.info>;

  beforeEach(() => {
    info = vi.spyOn(console, "info").mockImplementation(() => {});
  });
  afterEach(() => {
    info.mockRestore();
  });

  function mailsTo(address: string): LoggedMail[] {
    return info.mock.calls
      .map(([printed]) => String(printed))
      .filter((printed) => printed.includes("======== MAIL"))
      .map((printed) => ({
        to: /^To: (.*)$/m.exec(printed)?.[1] ?? "",
        subject: /^Subject: (.*)$/m.exec(printed)?.[1] ?? "",
        text: printed,
      }))
      .filter((mail) => mail.to === address);
  }

  function changeLinkTokenIn(mail: LoggedMail | undefined): string {
    const token = /\/confirm-email-change\?token=([a-z2-7]{32})\b/.exec(mail?.text ?? "")?.[1];
    if (!token) throw new Error("no email change link in the mail");
    return token;
  }

  /** A person signed up through the router (signed in at once), as one browser with its own client address. */
  async function signedUpPerson() {
    personCount += 1;
    const headers = new Headers({ [SOCKET_ADDRESS_HEADER]: `10.23.0.${personCount}`, "user-agent": "vitest" });
    const email = `change${personCount}-${engine}@example.com`;
    const password = `correct horse ${personCount} battery`;
    const resHeaders = new Headers();
    const user = await createCaller(createInnerTRPCContext({ db: testDb.db, headers, resHeaders })).auth.signUp({ email, password, firstname: "Ada", surname: "Change" });
    if (!("id" in user)) throw new Error("without SMTP_URL, sign-up signs in at once");
    const id = user.id;
    const cookie = readSessionCookie(resHeaders.getSetCookie().map((header) => header.split(";")[0]).join("; "));
    if (cookie.kind !== "one" || !cookie.token) throw new Error("sign-up set no session cookie");
    const token = cookie.token;
    async function caller() {
      const { session, user: sessionUser } = await validateSessionToken(testDb.db, token);
      return createCaller(createInnerTRPCContext({ db: testDb.db, session, user: sessionUser, headers }));
    }
    async function currentEmail(): Promise<string | undefined> {
      const [row] = await testDb.db.select({ email: users.email }).from(users).where(eq(users.id, id));
      return row?.email;
    }
    return { id, email, password, headers, caller, currentEmail, sessionId: sessionIdFromToken(token) };
  }

  /** Someone who opens a link: no session at all, from an address of their own (each under the attempt limit). */
  function anonymous() {
    anonymousCount += 1;
    return createCaller(createInnerTRPCContext({ db: testDb.db, headers: new Headers({ [SOCKET_ADDRESS_HEADER]: `10.23.9.${anonymousCount}` }) }));
  }

  async function refusal(call: Promise<unknown>): Promise<TRPCError> {
    const error = await call.then(
      () => {
        throw new Error("expected a refusal");
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TRPCError);
    return error as TRPCError;
  }

  it("the change waits for the link mailed to the new address; opened, it is made, verified, and the old address is told", async () => {
    const person = await signedUpPerson();
    const newEmail = `moved${personCount}-${engine}@example.org`;
    const pending = await (await person.caller()).account.requestEmailChange({ newEmail: `  ${newEmail.toUpperCase()} ` });
    expect(pending.newEmail).toBe(newEmail);
    expect(pending.expiresAt.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect(await (await person.caller()).account.pendingEmailChange()).toEqual(pending);
    // Nothing changes until the link is opened.
    expect(await person.currentEmail()).toBe(person.email);

    await vi.waitFor(() => expect(mailsTo(newEmail)).toHaveLength(1));
    const [linkMail] = mailsTo(newEmail);
    expect(linkMail?.subject).toBe("Confirm your new email for Carestral");
    const token = changeLinkTokenIn(linkMail);
    // Only the hash of the link's secret is stored.
    const stored = await testDb.db.select({ id: emailLinks.id }).from(emailLinks).where(eq(emailLinks.userId, person.id));
    expect(JSON.stringify(stored)).not.toContain(token);

    // Opened anywhere, without a session: the link is the proof.
    const confirmed = await anonymous().account.confirmEmailChange({ token });
    expect(confirmed).toEqual({ changed: true, email: newEmail });
    const [row] = await testDb.db.select({ email: users.email, verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, person.id));
    expect(row?.email).toBe(newEmail);
    expect(row?.verifiedAt).toBeInstanceOf(Date);
    expect(await (await person.caller()).account.pendingEmailChange()).toBeNull();
    expect((await (await person.caller()).account.emailStatus()).verified).toBe(true);

    // The security notice goes to the address left behind, with what, when, from where, and the settings link.
    await vi.waitFor(() => expect(mailsTo(person.email).filter((mail) => mail.subject.includes("email address"))).toHaveLength(1));
    const [notice] = mailsTo(person.email).filter((mail) => mail.subject.includes("email address"));
    expect(notice?.subject).toBe("The email address of your Carestral account was changed");
    expect(notice?.text).toContain(`changed from ${person.email} to ${newEmail}`);
    expect(notice?.text).toMatch(/When: .+\d{2}:\d{2}/);
    expect(notice?.text).toMatch(/IP address 10\.23\.9\.\d+\./);
    expect(notice?.text).toMatch(/Review your account: http:\/\/[^/\s]+\/settings/);
    expect(notice?.text).toContain("If this was not you");

    // The new address signs in; the old one no longer does. The session that asked lives on.
    await anonymous().auth.signIn({ email: newEmail, password: person.password });
    expect((await refusal(anonymous().auth.signIn({ email: person.email, password: person.password }))).code).toBe("UNAUTHORIZED");
    expect((await (await person.caller()).auth.me())?.email).toBe(newEmail);

    // The link works once.
    const reused = await refusal(anonymous().account.confirmEmailChange({ token }));
    expect(reused.code).toBe("BAD_REQUEST");
    expect(reused.message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
  });

  it("an expired link, a tampered one, a cancelled one or one replaced by a newer request changes nothing", async () => {
    const person = await signedUpPerson();
    const first = `first${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail: first });
    await vi.waitFor(() => expect(mailsTo(first)).toHaveLength(1));
    const firstToken = changeLinkTokenIn(mailsTo(first)[0]);

    // Asking again replaces the pending change: the first link stops working.
    const second = `second${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail: second });
    await vi.waitFor(() => expect(mailsTo(second)).toHaveLength(1));
    const secondToken = changeLinkTokenIn(mailsTo(second)[0]);
    expect((await refusal(anonymous().account.confirmEmailChange({ token: firstToken }))).message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
    const tampered = `${secondToken.slice(0, -1)}${secondToken.endsWith("a") ? "b" : "a"}`;
    expect((await refusal(anonymous().account.confirmEmailChange({ token: tampered }))).message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
    expect((await refusal(anonymous().account.confirmEmailChange({ token: "x".repeat(200) }))).code).toBe("BAD_REQUEST");

    // 25 hours later: expired.
    await testDb.db.update(emailLinks).set({ expiresAt: new Date(Date.now() - 3_600_000) }).where(eq(emailLinks.userId, person.id));
    expect(await (await person.caller()).account.pendingEmailChange()).toBeNull();
    expect((await refusal(anonymous().account.confirmEmailChange({ token: secondToken }))).message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
    expect(await person.currentEmail()).toBe(person.email);

    // Cancelled: the pending change disappears and its link is dead.
    const third = `third${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail: third });
    await vi.waitFor(() => expect(mailsTo(third)).toHaveLength(1));
    expect(await (await person.caller()).account.cancelEmailChange()).toEqual({ cancelled: true });
    expect(await (await person.caller()).account.pendingEmailChange()).toBeNull();
    expect((await refusal(anonymous().account.confirmEmailChange({ token: changeLinkTokenIn(mailsTo(third)[0]) }))).message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
    expect(await (await person.caller()).account.cancelEmailChange()).toEqual({ cancelled: false });
    expect(await person.currentEmail()).toBe(person.email);
  });

  it("a link only ever moves its own account: opened by another signed-in person, theirs stays as it is", async () => {
    const person = await signedUpPerson();
    const other = await signedUpPerson();
    const newEmail = `mine${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail });
    await vi.waitFor(() => expect(mailsTo(newEmail)).toHaveLength(1));
    await (await other.caller()).account.confirmEmailChange({ token: changeLinkTokenIn(mailsTo(newEmail)[0]) });
    expect(await other.currentEmail()).toBe(other.email);
    expect(await person.currentEmail()).toBe(newEmail);
  });

  it("an address taken since the link was sent: nothing changes, and the link is spent", async () => {
    const person = await signedUpPerson();
    const wanted = `wanted${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail: wanted });
    await vi.waitFor(() => expect(mailsTo(wanted)).toHaveLength(1));
    const token = changeLinkTokenIn(mailsTo(wanted)[0]);
    await anonymous().auth.signUp({ email: wanted, password: "someone else's passphrase", firstname: "Eve", surname: "First" });

    const taken = await refusal(anonymous().account.confirmEmailChange({ token }));
    expect(taken.code).toBe("CONFLICT");
    expect(taken.message).toBe(EMAIL_CHANGE_TAKEN_MESSAGE);
    expect(await person.currentEmail()).toBe(person.email);
    expect((await refusal(anonymous().account.confirmEmailChange({ token }))).message).toBe(EMAIL_CHANGE_LINK_INVALID_MESSAGE);
  });

  it("an address that has an account: told at once without SMTP (as sign-up is); with SMTP, the same answer as a free one and its owner is told", async () => {
    const person = await signedUpPerson();
    const owner = await signedUpPerson();
    const taken = await refusal((await person.caller()).account.requestEmailChange({ newEmail: owner.email }));
    expect(taken.code).toBe("CONFLICT");
    expect(taken.message).toBe(EMAIL_IN_USE_MESSAGE);
    expect(await (await person.caller()).account.pendingEmailChange()).toBeNull();

    const same = await refusal((await person.caller()).account.requestEmailChange({ newEmail: person.email.toUpperCase() }));
    expect(same.code).toBe("BAD_REQUEST");
    expect(same.message).toBe(SAME_EMAIL_MESSAGE);

    // With SMTP: a pending change like any other, and the mail to the taken address carries no link, only a notice.
    const user = { id: person.id, email: person.email, firstname: "Ada" };
    const free = await requestEmailChange(testDb.db, user, `free${personCount}-${engine}@example.org`, { delivery: "smtp" });
    const answer = await requestEmailChange(testDb.db, user, owner.email, { delivery: "smtp" });
    expect(Object.keys(answer.pending)).toEqual(Object.keys(free.pending));
    expect(answer.pending.newEmail).toBe(owner.email);
    await answer.mail();
    const notices = mailsTo(owner.email).filter((mail) => mail.subject === "Someone tried to move a Carestral account to your address");
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice?.text).not.toMatch(/token=/);
    expect(await owner.currentEmail()).toBe(owner.email);
  });

  it("a password reset by the owner ends a change of address asked by whoever held the account", async () => {
    const person = await signedUpPerson();
    const intruder = `intruder${personCount}-${engine}@example.org`;
    await (await person.caller()).account.requestEmailChange({ newEmail: intruder });
    await vi.waitFor(() => expect(mailsTo(intruder)).toHaveLength(1));
    const resetToken = await createEmailLinkToken(testDb.db, person.id, "password_reset");
    await anonymous().account.resetPassword({ token: resetToken, password: "the owner's new passphrase" });
    expect((await refusal(anonymous().account.confirmEmailChange({ token: changeLinkTokenIn(mailsTo(intruder)[0]) }))).message).toBe(
      EMAIL_CHANGE_LINK_INVALID_MESSAGE,
    );
    expect(await person.currentEmail()).toBe(person.email);
  });

  it("asking for the change needs sudo mode; cancelling does not", async () => {
    const person = await signedUpPerson();
    await testDb.db
      .update(sessions)
      .set({ lastVerifiedAt: new Date(Date.now() - 11 * 60_000) })
      .where(eq(sessions.id, person.sessionId));
    const refused = await refusal((await person.caller()).account.requestEmailChange({ newEmail: `late${personCount}@example.org` }));
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.cause).toBeInstanceOf(SudoRequiredError);
    expect(await (await person.caller()).account.pendingEmailChange()).toBeNull();
    expect(await (await person.caller()).account.cancelEmailChange()).toEqual({ cancelled: false });

    await (await person.caller()).auth.confirmAccess({ password: person.password });
    const pending = await (await person.caller()).account.requestEmailChange({ newEmail: `late${personCount}@example.org` });
    expect(pending.newEmail).toBe(`late${personCount}@example.org`);
    const invalid = await refusal((await person.caller()).account.requestEmailChange({ newEmail: "not an address" }));
    expect(invalid.code).toBe("BAD_REQUEST");
  });
});
