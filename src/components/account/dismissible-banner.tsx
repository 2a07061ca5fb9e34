"use client";

import { useSyncExternalStore, type ReactNode } from "react";

// Dismissed for this browser session (sessionStorage: the notice comes back in a new session). Read as an
// external store, so the server's render (shown) and the browser's (maybe dismissed) reconcile without a mismatch.
const DISMISSED_EVENT = "carestral:banner-dismissed";

function isDismissed(key: string): boolean {
  try {
    return window.sessionStorage.getItem(key) === "1";
  } catch {
    return false; // storage blocked: the notice stays
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener(DISMISSED_EVENT, onChange);
  return () => window.removeEventListener(DISMISSED_EVENT, onChange);
}

/** A notice a person can put away for this browser session. */
export function DismissibleBanner({ id, label, className, children }: { id: string; label: string; className?: string; children: ReactNode }) {
  const key = `carestral:dismissed:${id}`;
  const dismissed = useSyncExternalStore(subscribe, () => isDismissed(key), () => false);
  if (dismissed) return null;
  return (
    <aside className={className} aria-label={label}>
      {children}
      <button
        type="button"
        onClick={() => {
          try {
            window.sessionStorage.setItem(key, "1");
          } catch {
            // Storage blocked: the notice stays.
          }
          window.dispatchEvent(new Event(DISMISSED_EVENT));
        }}
      >
        Dismiss<span className="visually-hidden"> the {label.toLowerCase()} notice</span>
      </button>
    </aside>
  );
}
