import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import styles from "~/components/auth/auth.module.css";
import { RECOVERY_CODE_PATH, TWO_FACTOR_PATH, TwoFactorForm } from "~/components/auth/two-factor-form";
import { pendingSignInTokenFromCookieHeader } from "~/server/auth/cookie";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";
import { findPendingSignIn } from "~/server/auth/pending-sign-in";
import { AFTER_SIGN_IN_PATH } from "~/server/auth/redirect";
import { getAuthDb, withDatabaseDeadline } from "~/server/db";

export const metadata: Metadata = { title: "Two-factor authentication" };

/** The second step of signing in, reached from /login once a right password opened a pending sign-in. */
export default async function TwoFactorPage({ searchParams }: { searchParams: Promise<{ with?: string | string[] }> }) {
  if (await getCurrentUserIfAvailable()) redirect(AFTER_SIGN_IN_PATH);
  const method = (await searchParams).with === "recovery-code" ? "recovery-code" : "totp";
  const token = pendingSignInTokenFromCookieHeader((await headers()).get("cookie"));
  const pending = token ? await withDatabaseDeadline((async () => findPendingSignIn(await getAuthDb(), token))()) : null;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Two-factor authentication</h1>
      {pending ? (
        <>
          <p>{method === "totp" ? "Enter the code from your authenticator app." : "Enter one of your recovery codes. Each works once."}</p>
          <TwoFactorForm key={method} method={method} />
          <p className={styles.switch}>
            {method === "totp" ? <Link href={RECOVERY_CODE_PATH}>Use a recovery code</Link> : <Link href={TWO_FACTOR_PATH}>Use your authenticator app</Link>}
          </p>
        </>
      ) : (
        <p>
          This sign-in has expired or was already completed. <Link href="/login">Sign in again</Link>.
        </p>
      )}
    </main>
  );
}
