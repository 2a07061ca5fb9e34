import { isEmailVerified } from "~/server/account/email-flows";
import { getDb } from "~/server/db";
import { isMailAvailable } from "~/server/email/mailer";
import { ResendVerificationButton } from "./resend-verification-button";
import styles from "./account.module.css";

/** Until the email is confirmed, a reminder on every dashboard page, with a way to get the link again. */
export async function VerifyEmailBanner({ user }: { user: { id: string; email: string } }) {
  if (await isEmailVerified(await getDb(), user.id)) return null;
  return (
    <aside className={`warning ${styles.banner}`} aria-label="Email verification">
      {isMailAvailable() ? (
        <>
          <span>
            Please confirm your email: we sent a link to <strong>{user.email}</strong>.
          </span>
          <ResendVerificationButton />
        </>
      ) : (
        <span>Your email is not confirmed yet, and this server cannot send email. Ask its administrator.</span>
      )}
    </aside>
  );
}
