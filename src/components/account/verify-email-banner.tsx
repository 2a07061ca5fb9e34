import { isEmailVerified } from "~/server/account/email-flows";
import { getDb } from "~/server/db";
import { isMailAvailable } from "~/server/email/mailer";
import { DismissibleBanner } from "./dismissible-banner";
import { ResendVerificationButton } from "./resend-verification-button";
import styles from "./account.module.css";

/** Until the email is confirmed, a reminder on every dashboard page, with a way to get the link again. */
export async function VerifyEmailBanner({ user }: { user: { id: string; email: string } }) {
  if (await isEmailVerified(await getDb(), user.id)) return null;
  if (!isMailAvailable()) {
    return (
      <DismissibleBanner id="no-mail" label="Email verification" className={`warning ${styles.banner}`}>
        <span>
          Your email is not confirmed yet, and this server cannot send email. Its operator can set <code>SMTP_URL</code> so mail
          goes out, or confirm your address from the server with <code>npm run account -- verify-email {user.email}</code>.
        </span>
      </DismissibleBanner>
    );
  }
  return (
    <aside className={`warning ${styles.banner}`} aria-label="Email verification">
      <span>
        Please confirm your email: we sent a link to <strong>{user.email}</strong>.
      </span>
      <ResendVerificationButton />
    </aside>
  );
}
