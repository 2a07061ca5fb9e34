"use client";

import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { httpBatchLink } from "@trpc/client";
import { createTRPCReact } from "@trpc/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "~/server/api/root";
import { ConfirmAccessProvider, type ConfirmAccess } from "~/components/sudo/confirm-access";
import { createQueryClient } from "./query-client";
import { sudoLink } from "./sudo-link";

export const api = createTRPCReact<AppRouter>();

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

let browserQueryClient: QueryClient | undefined;

function getQueryClient(): QueryClient {
  // On the server, a new client per request; in the browser, one for the page's lifetime.
  if (typeof window === "undefined") return createQueryClient();
  browserQueryClient ??= createQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [{ trpcClient, setConfirmAccess }] = useState(() => {
    // The Confirm access prompt, once mounted; a refusal before that simply reaches the form.
    let confirmAccess: ConfirmAccess | null = null;
    return {
      setConfirmAccess: (confirm: ConfirmAccess | null) => {
        confirmAccess = confirm;
      },
      trpcClient: api.createClient({
        links: [
          sudoLink<AppRouter>(() => confirmAccess?.() ?? Promise.resolve(false)),
          // At most the server's maxBatchSize (MAX_BATCH_SIZE in src/server/api/trpc.ts).
          httpBatchLink({ url: "/api/trpc", transformer: superjson, maxItems: 16 }),
        ],
      }),
    };
  });
  return (
    <QueryClientProvider client={queryClient}>
      <api.Provider client={trpcClient} queryClient={queryClient}>
        <ConfirmAccessProvider onMount={setConfirmAccess}>{children}</ConfirmAccessProvider>
      </api.Provider>
    </QueryClientProvider>
  );
}
