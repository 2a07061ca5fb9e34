import type { Metadata } from "next";
import Link from "next/link";
import { connection } from "next/server";
import { ForgotPasswordForm } from "~/components/account/forgot-password-form";
import styles from "~/components/auth/auth.module.css";
import { SignInContext } from "~/components/oauth/sign-in-context";
import { safeNextPath, signInPath } from "~/server/auth/redirect";
import { isMailAvailable } from "~/server/email/mailer";

export const metadata: Metadata = { title: "Forgot password" };

export default async function ForgotPasswordPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  // Whether mail can be sent is the running server's configuration, not the build's: render per request.
  await connection();
  // Where signing in leads afterwards (an app's consent page): kept on the way back, validated as sign-in's own.
  const next = safeNextPath((await searchParams).next);
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Forgot password</h1>
      <SignInContext next={next} action="Choose a new password, then sign in" />
      {isMailAvailable() ? (
        <>
          <p>
            Enter the email of your account. We will send you a link to choose a new password. Setting it signs out every session and
            revokes every API token and connected app of the account.
          </p>
          <ForgotPasswordForm next={next} />
        </>
      ) : (
        <p className="warning" role="alert">
          Password reset by email is unavailable: this server is not set up to send email. Ask its operator, who can either set{" "}
          <code>SMTP_URL</code> so reset mail goes out, or give you a one-time reset link made on the server with{" "}
          <code>npm run account -- reset-password &lt;your email&gt;</code>.
        </p>
      )}
      <p className={styles.switch}>
        Remembered it? <Link href={signInPath(next)}>Sign in</Link>
      </p>
    </main>
  );
}
