import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { PasskeySignInButton } from "~/components/auth/passkey-sign-in-button";
import { SignInForm } from "~/components/auth/sign-in-form";
import styles from "~/components/auth/auth.module.css";
import { SignInContext } from "~/components/oauth/sign-in-context";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";
import { AFTER_SIGN_IN_PATH, safeNextPath, twoFactorPath } from "~/server/auth/redirect";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getCurrentUserIfAvailable()) redirect(next);
  const withNext = (path: string) => (next === AFTER_SIGN_IN_PATH ? path : `${path}?next=${encodeURIComponent(next)}`);
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Sign in</h1>
      <SignInContext next={next} action="Sign in to Carestral" />
      <SignInForm next={next} twoFactorPath={twoFactorPath(next)} />
      <section className={styles.alternative} aria-labelledby="passkey-heading">
        <h2 id="passkey-heading">Or use a passkey</h2>
        <p className="muted">Your fingerprint, face or device PIN instead of the password, if you added a passkey in Settings.</p>
        <PasskeySignInButton next={next} />
      </section>
      <p className={styles.switch}>
        <Link href={withNext("/forgot-password")}>Forgot password?</Link>
      </p>
      <p className={styles.switch}>
        New to Carestral? <Link href={withNext("/signup")}>Create an account</Link>
      </p>
    </main>
  );
}
