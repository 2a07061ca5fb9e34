import type { Metadata } from "next";
import type { ReactNode } from "react";
import { OriginNotice } from "~/components/origin-notice";
import { ServiceWorkerRegistration } from "~/components/service-worker-registration";
import { SkipLink } from "~/components/skip-link";
import { env } from "~/env";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";

// Every page is rendered per request: Next.js puts proxy.ts's CSP nonce on its scripts only then.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Carestral", template: "%s · Carestral" },
  description: "Give your AI assistant safe, revocable access to your hospital data and bookings.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SkipLink />
        <noscript>
          <p className="warning site-notice">
            Carestral’s forms need JavaScript. Without it, signing in and managing tokens do not work: nothing is sent or
            changed. Turn JavaScript on for this site and reload the page.
          </p>
        </noscript>
        <OriginNotice />
        <TRPCReactProvider>{children}</TRPCReactProvider>
        {/* Not under next dev: a worker there would outlive restarts and rebuilds and blur what is served. */}
        {env.NODE_ENV === "production" && <ServiceWorkerRegistration />}
      </body>
    </html>
  );
}
