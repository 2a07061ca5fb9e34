import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignInForm } from "~/components/auth/sign-in-form";
import styles from "~/components/auth/auth.module.css";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";
import { AFTER_SIGN_IN_PATH, safeNextPath } from "~/server/auth/redirect";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getCurrentUserIfAvailable()) redirect(next);
  const signUpHref = next === AFTER_SIGN_IN_PATH ? "/signup" : `/signup?next=${encodeURIComponent(next)}`;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Sign in</h1>
      <SignInForm next={next} />
      <p className={styles.switch}>
        <Link href="/forgot-password">Forgot password?</Link>
      </p>
      <p className={styles.switch}>
        New to Carestral? <Link href={signUpHref}>Create an account</Link>
      </p>
    </main>
  );
}
