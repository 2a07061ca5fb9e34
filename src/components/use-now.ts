"use client";

import { useCallback, useEffect, useState, useSyncExternalStore } from "react";

/** The current time, refreshed every `intervalMs`, so "3 minutes ago" stays true while the page is open. */
export function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * The current time, for what a render decides by it (an appointment past or to come), starting from the server's:
 * the server renders with `renderedAt` (the page's Date.now(), passed down) and so does the browser's hydration,
 * so both draw the same page whatever their clocks say; right after, the browser's own time takes over, refreshed
 * every `intervalMs` (to that step). useNow's would differ at hydration when the clocks, or the moment, do.
 */
export function useNowFrom(renderedAt: number, intervalMs: number): Date {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const timer = setInterval(onChange, intervalMs);
      return () => clearInterval(timer);
    },
    [intervalMs],
  );
  const now = useSyncExternalStore(subscribe, () => Math.floor(Date.now() / intervalMs) * intervalMs, () => renderedAt);
  return new Date(now);
}
