import type { MailMessage } from "./mailer";

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** One short message in plain text and simple HTML: a greeting, a few lines, one link, a sign-off. */
export function composeMail(params: { to: string; firstname: string; subject: string; lines: string[]; action: string; link: string; after: string[] }): MailMessage {
  const { to, firstname, subject, lines, action, link, after } = params;
  const text = [`Hello ${firstname},`, "", ...lines, "", `${action}: ${link}`, "", ...after, "", "— Carestral", ""].join("\n");
  const paragraphs = (items: string[]) => items.map((line) => `<p>${escapeHtml(line)}</p>`).join("\n");
  const html = `<!doctype html>
<html><body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24">
<p>Hello ${escapeHtml(firstname)},</p>
${paragraphs(lines)}
<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>
<p style="color: #5b6470">Or paste this address into your browser: ${escapeHtml(link)}</p>
${paragraphs(after)}
<p>— Carestral</p>
</body></html>`;
  return { to, subject, text, html };
}

export function passwordResetMail(params: { to: string; firstname: string; link: string; validMinutes: number }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Reset your Carestral password",
    lines: ["Someone, hopefully you, asked to reset the password of your Carestral account."],
    action: "Choose a new password",
    link: params.link,
    after: [
      `The link works once, within ${params.validMinutes} minutes. Setting a new password signs you out everywhere.`,
      "If you did not ask for this, ignore this email: your password stays as it is.",
    ],
  });
}

export function emailVerificationMail(params: { to: string; firstname: string; link: string; validHours: number }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Confirm your email for Carestral",
    lines: ["Welcome to Carestral. Please confirm that this email address is yours, so we can reach you about your account."],
    action: "Confirm my email",
    link: params.link,
    after: [
      `The link works once, within ${params.validHours} hours.`,
      "If you did not create a Carestral account, ignore this email.",
    ],
  });
}

export function signUpConfirmationMail(params: { to: string; firstname: string; link: string; validHours: number }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Confirm your email to finish creating your Carestral account",
    lines: ["Welcome to Carestral. Confirm that this email address is yours to finish creating your account and sign in."],
    action: "Confirm my email",
    link: params.link,
    after: [
      `The link works once, within ${params.validHours} hours. Until it is followed, nobody can sign in to the account.`,
      "If you did not create a Carestral account, ignore this email: the account stays unusable.",
    ],
  });
}

/** Someone signed up with an address that already has an account: its owner hears of it, nobody else does. */
export function signUpAttemptMail(params: { to: string; firstname: string; link: string }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Someone tried to create a Carestral account with your address",
    lines: [
      "Someone tried to create a Carestral account with this email address, which already has one.",
      "If it was you, reset your password to get back in: setting a new one through the mailed link also ends every session, token and connected app of the account.",
    ],
    action: "Reset my password",
    link: params.link,
    after: ["If it was not you, nothing changed: no second account was created, and you can ignore this email."],
  });
}

/** A token of theirs was found in public (a secret scanning report) and revoked: what happened, where, what to do. */
export function tokenFoundPublicMail(params: { to: string; firstname: string; tokenName: string; foundAt: string | null; link: string }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "A Carestral token of yours was found in public and revoked",
    lines: [
      `Your Carestral ${params.tokenName} was found in a public place${params.foundAt ? `: ${params.foundAt}` : ""}.`,
      "We revoked it at once, so nobody can use it any more. Whatever used it (an AI client, a script) now needs a new token.",
    ],
    action: "See the token",
    link: params.link,
    after: ["Remove it from where it was published, and keep the new one out of code you share."],
  });
}

/** Sent to the address an account asked to move to: the link that makes the change. */
export function emailChangeConfirmationMail(params: { to: string; firstname: string; link: string; validHours: number }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Confirm your new email for Carestral",
    lines: ["Your Carestral account asked to use this email address from now on. Confirm that it is yours to make the change."],
    action: "Confirm my new email",
    link: params.link,
    after: [
      `The link works once, within ${params.validHours} hours. Until it is followed, the account keeps its current address.`,
      "If you did not ask for this, ignore this email: nothing changes.",
    ],
  });
}

/**
 * Sent instead of the link when the address asked for already has an account: its owner hears of it, and the
 * person who asked sees the same answer as for a free address (as at sign-up), so nobody learns who has an account.
 */
export function emailChangeTakenMail(params: { to: string; firstname: string; link: string }): MailMessage {
  return composeMail({
    to: params.to,
    firstname: params.firstname,
    subject: "Someone tried to move a Carestral account to your address",
    lines: [
      "Another Carestral account asked to use this email address, which already has an account of its own. Nothing changed: an address belongs to one account.",
      "If it was you, with a second account: change that account's address to another one, or delete one of the two.",
    ],
    action: "Open your account settings",
    link: params.link,
    after: ["If it was not you, nothing changed and you can ignore this email."],
  });
}
