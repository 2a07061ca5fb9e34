import { api } from "~/trpc/server";
import { DismissibleBanner } from "./dismissible-banner";
import { ResendVerificationButton } from "./resend-verification-button";
import styles from "./account.module.css";

/**
 * Until the email is confirmed, a reminder on every dashboard page, with a way to get the link again. A reminder
 * is not worth failing the page for: when the database cannot say, there is none this time.
 */
export async function VerifyEmailBanner({ user }: { user: { email: string } }) {
  const status = await api.account.emailStatus().catch(() => null);
  if (!status || status.verified) return null;
  if (!status.mailAvailable) {
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
