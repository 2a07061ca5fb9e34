import type { Metadata } from "next";
import { VerifyEmailForm } from "~/components/account/verify-email-form";

// The link's secret is in the URL: send no Referer anywhere from this page.
export const metadata: Metadata = { title: "Verify your email", referrer: "no-referrer" };

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Verify your email</h1>
      {typeof token === "string" && token ? (
        <VerifyEmailForm token={token} />
      ) : (
        <p className="form-error" role="alert">
          This verification link is incomplete. Open the link from the email again.
        </p>
      )}
    </main>
  );
}
