import type { Metadata } from "next";
import { AccountSettings } from "~/components/account/account-settings";
import { timeZoneChoices } from "~/server/account/time-zone";
import { getCurrentSession } from "~/server/auth/current-session";
import { PASSWORD_MIN_LENGTH } from "~/server/auth/password";

export const metadata: Metadata = { title: "Account" };

export default async function SettingsPage() {
  // The layout has redirected signed-out visitors already.
  const { user } = await getCurrentSession();
  if (!user) return null;
  return (
    <main id="main" tabIndex={-1} className="page">
      <h1>Account</h1>
      <AccountSettings
        user={{ firstname: user.firstname, surname: user.surname, email: user.email }}
        passwordHint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
        timeZoneChoices={timeZoneChoices(new Date())}
      />
    </main>
  );
}
