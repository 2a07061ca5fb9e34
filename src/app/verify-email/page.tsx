import type { Metadata } from "next";
import { VerifyEmailForm } from "~/components/account/verify-email-form";
import { safeNextPath } from "~/server/auth/redirect";

// The link's secret is in the URL: send no Referer anywhere from this page.
export const metadata: Metadata = { title: "Verify your email", referrer: "no-referrer" };

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<{ token?: string | string[]; next?: string | string[] }> }) {
  const { token, next } = await searchParams;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Verify your email</h1>
      {typeof token === "string" && token ? (
        <VerifyEmailForm token={token} next={safeNextPath(next)} />
      ) : (
        <p className="form-error" role="alert">
          This verification link is incomplete. Open the link from the email again.
        </p>
      )}
    </main>
  );
}
