"use client";

import { useEffect } from "react";

/**
 * Registers public/sw.js, which shows an offline page instead of the browser's error page when the server
 * does not answer a page load. Rendered in production builds only (src/app/layout.tsx).
 */
export function ServiceWorkerRegistration(): null {
  useEffect(() => {
    // Missing outside secure contexts, e.g. a plain-http LAN address: the app works the same without it.
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error: unknown) => {
      console.warn("Carestral's offline page is unavailable: the service worker did not register.", error);
    });
  }, []);
  return null;
}
