import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import styles from "~/components/auth/auth.module.css";
import { PasskeySecondStep } from "~/components/auth/passkey-second-step";
import { TwoFactorForm } from "~/components/auth/two-factor-form";
import { pendingSignInTokenFromCookieHeader } from "~/server/auth/cookie";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";
import { findPendingSignIn } from "~/server/auth/pending-sign-in";
import { AFTER_SIGN_IN_PATH, safeNextPath, signInPath, twoFactorPath } from "~/server/auth/redirect";
import { secondFactorMethods } from "~/server/auth/second-factor";
import { withDb } from "~/server/db";

export const metadata: Metadata = { title: "Two-factor authentication" };

/**
 * The second step of signing in, reached from /login once a right password opened a pending sign-in. It offers the
 * account's factors: a code from the authenticator app, a passkey, or a recovery code (`with=recovery-code`).
 */
export default async function TwoFactorPage({ searchParams }: { searchParams: Promise<{ with?: string | string[]; next?: string | string[] }> }) {
  if (await getCurrentUserIfAvailable()) redirect(AFTER_SIGN_IN_PATH);
  const params = await searchParams;
  const withRecoveryCode = params.with === "recovery-code";
  const token = pendingSignInTokenFromCookieHeader((await headers()).get("cookie"));
  const step = token
    ? await withDb(
        async (db) => {
          const pending = await findPendingSignIn(db, token);
          return pending ? { next: pending.next, methods: await secondFactorMethods(db, pending.userId) } : null;
        },
        { pool: "auth" },
      )
    : null;

  if (!step) {
    // The address's `next` was validated when it was made, and is again here: an expired sign-in starts over
    // towards where it was going (an app's consent page, say).
    return (
      <main id="main" tabIndex={-1} className="page narrow">
        <h1>Two-factor authentication</h1>
        <p>
          This sign-in has expired or was already completed. <Link href={signInPath(safeNextPath(params.next))}>Sign in again</Link>.
        </p>
      </main>
    );
  }

  const signInAgainPath = signInPath(step.next);
  const { authenticatorApp, passkeys } = step.methods;
  // An account whose factors went meanwhile still gets a way through: the code box, which refuses every code.
  const offersApp = authenticatorApp || passkeys === 0;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Two-factor authentication</h1>
      {withRecoveryCode ? (
        <>
          <p>Enter one of your recovery codes. Each works once.</p>
          <TwoFactorForm key="recovery-code" method="recovery-code" signInAgainPath={signInAgainPath} />
          <p className={styles.switch}>
            <Link href={twoFactorPath(step.next)}>{offersApp ? "Use your authenticator app" : "Use a passkey"}</Link>
          </p>
          {offersApp && passkeys > 0 && (
            <p className={styles.switch}>
              <Link href={twoFactorPath(step.next)}>Use a passkey</Link>
            </p>
          )}
        </>
      ) : (
        <>
          {offersApp && (
            <>
              <p>Enter the code from your authenticator app.</p>
              <TwoFactorForm key="totp" method="totp" signInAgainPath={signInAgainPath} />
            </>
          )}
          {passkeys > 0 &&
            (offersApp ? (
              <section className={styles.alternative} aria-labelledby="passkey-step-heading">
                <h2 id="passkey-step-heading">Or use a passkey</h2>
                <p className="muted">One of the passkeys you added to your account: your fingerprint, face, device PIN or security key.</p>
                <PasskeySecondStep signInAgainPath={signInAgainPath} />
              </section>
            ) : (
              <>
                <p>Confirm it is you with one of the passkeys you added to your account: your fingerprint, face, device PIN or security key.</p>
                <PasskeySecondStep signInAgainPath={signInAgainPath} autoFocus />
              </>
            ))}
          <p className={styles.switch}>
            <Link href={twoFactorPath(step.next, "recovery-code")}>Use a recovery code</Link>
          </p>
        </>
      )}
    </main>
  );
}
