"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, type ReactNode } from "react";
import { DEFAULT_TIME_ZONE } from "~/server/account/time-zone";
import { api } from "~/trpc/react";

// The person's zone for client components: the one the server rendered with (users.time_zone), so the
// browser's hydration prints the same times as the server's first paint.

const TimeZoneContext = createContext<string>(DEFAULT_TIME_ZONE);

export function TimeZoneProvider({ timeZone, children }: { timeZone: string; children: ReactNode }) {
  return <TimeZoneContext value={timeZone}>{children}</TimeZoneContext>;
}

/** The IANA zone the signed-in person reads times in. */
export function useTimeZone(): string {
  return useContext(TimeZoneContext);
}

/**
 * First dashboard load without a zone on record: keeps the browser's, then renders the page again in it. Only
 * when none is stored (onlyIfUnset), so a zone chosen in Settings, on this device or another, stays.
 */
export function RememberBrowserTimeZone() {
  const router = useRouter();
  const remember = api.account.setTimeZone.useMutation({ onSuccess: (result) => result.changed && router.refresh() });
  const { mutate } = remember;
  useEffect(() => {
    // A zone this server does not know is refused (400): times then stay in UTC, labelled, until chosen in Settings.
    mutate({ timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, onlyIfUnset: true });
  }, [mutate]);
  return null;
}

/** Once per page that shows times: which zone they are in, and where to change it. */
export function TimeZoneNote() {
  const timeZone = useTimeZone();
  return (
    <p className="muted">
      Times are in your time zone, {timeZone}. <Link href="/settings#time-zone">Change time zone</Link>
    </p>
  );
}
