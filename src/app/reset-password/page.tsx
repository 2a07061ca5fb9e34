import type { Metadata } from "next";
import Link from "next/link";
import { ResetPasswordForm } from "~/components/account/reset-password-form";
import { isEmailLinkTokenValid } from "~/server/auth/email-links";
import { PASSWORD_MIN_LENGTH } from "~/server/auth/password";
import { safeNextPath, signInPath } from "~/server/auth/redirect";
import { withDb } from "~/server/db";

// The link's secret is in the URL: send no Referer anywhere from this page.
export const metadata: Metadata = { title: "Choose a new password", referrer: "no-referrer" };

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string | string[]; next?: string | string[] }> }) {
  const { token, next } = await searchParams;
  const valid = typeof token === "string" && (await withDb((db) => isEmailLinkTokenValid(db, token, "password_reset")));
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Choose a new password</h1>
      {valid ? (
        <ResetPasswordForm token={token} signInHref={signInPath(safeNextPath(next))} passwordHint={`At least ${PASSWORD_MIN_LENGTH} characters.`} />
      ) : (
        <>
          <p className="form-error" role="alert">
            This reset link is invalid, already used or expired. Links work once, within 30 minutes.
          </p>
          <p>
            <Link href="/forgot-password">Ask for a new link</Link>
          </p>
        </>
      )}
    </main>
  );
}
