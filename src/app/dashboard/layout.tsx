import Link from "next/link";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { VerifyEmailBanner } from "~/components/account/verify-email-banner";
import { SignOutButton } from "~/components/auth/sign-out-button";
import { DashboardNavLinks } from "~/components/nav-links";
import { RememberBrowserTimeZone, TimeZoneProvider } from "~/components/time-zone";
import { personTimeZone } from "~/server/account/time-zone";
import styles from "~/components/auth/auth.module.css";
import { getCurrentSession } from "~/server/auth/current-session";
import { PATHNAME_HEADER, safeNextPath } from "~/server/auth/redirect";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const { user } = await getCurrentSession();
  if (!user) {
    // proxy.ts already sends cookie-less visitors to /login; this catches expired or forged cookies.
    const next = safeNextPath((await headers()).get(PATHNAME_HEADER));
    redirect(`/login?next=${encodeURIComponent(next)}`);
  }
  return (
    <>
      <header className="site-header">
        <nav aria-label="Dashboard">
          <Link href="/" className={styles.brand}>
            Carestral
          </Link>
          <DashboardNavLinks />
        </nav>
        <div className={styles.account}>
          <span>
            Signed in as <strong>{`${user.firstname} ${user.surname}`}</strong>{" "}
            <span className="muted">({user.email})</span>
          </span>
          <SignOutButton />
        </div>
      </header>
      <VerifyEmailBanner user={user} />
      {!user.timeZone && <RememberBrowserTimeZone />}
      <TimeZoneProvider timeZone={personTimeZone(user)}>{children}</TimeZoneProvider>
    </>
  );
}
