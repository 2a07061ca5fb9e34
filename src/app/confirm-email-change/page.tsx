import type { Metadata } from "next";
import { ConfirmEmailChangeForm } from "~/components/account/confirm-email-change-form";

// The link's secret is in the URL: send no Referer anywhere from this page.
export const metadata: Metadata = { title: "Confirm your new email", referrer: "no-referrer" };

export default async function ConfirmEmailChangePage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <main id="main" tabIndex={-1} className="page narrow">
      <h1>Confirm your new email</h1>
      {typeof token === "string" && token ? (
        <ConfirmEmailChangeForm token={token} />
      ) : (
        <p className="form-error" role="alert">
          This link is incomplete. Open the link from the email again.
        </p>
      )}
    </main>
  );
}
