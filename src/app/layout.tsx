import type { Metadata } from "next";
import type { ReactNode } from "react";
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
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
