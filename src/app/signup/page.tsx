import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignUpForm } from "~/components/auth/sign-up-form";
import styles from "~/components/auth/auth.module.css";
import { SignInContext } from "~/components/oauth/sign-in-context";
import { getCurrentUserIfAvailable } from "~/server/auth/current-session";
import { safeNextPath, signInPath } from "~/server/auth/redirect";

export const metadata: Metadata = { title: "Create your account" };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await getCurrentUserIfAvailable()) redirect(next);
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Create your account</h1>
      <SignInContext next={next} action="Create a Carestral account" />
      <SignUpForm next={next} signInHref={signInPath(next)} />
      <p className={styles.switch}>
        Already have an account? <Link href={signInPath(next)}>Sign in</Link>
      </p>
    </main>
  );
}
