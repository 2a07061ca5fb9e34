"use client";

import { useEffect, useState } from "react";

/** The current time, refreshed every `intervalMs`, so "3 minutes ago" stays true while the page is open. */
export function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
