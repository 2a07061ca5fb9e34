import "server-only";
import { createHydrationHelpers } from "@trpc/react-query/rsc";
import { headers } from "next/headers";
import { cache } from "react";
import { createCaller, type AppRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { createQueryClient } from "./query-client";

// Server components call procedures directly (no HTTP hop) and hand what they fetched to the browser's
// query cache, so the first HTML already holds the data (create-t3-app's src/trpc/server.ts).
const createContext = cache(async () => createTRPCContext({ headers: new Headers(await headers()) }));

const getQueryClient = cache(createQueryClient);
const caller = createCaller(createContext);

export const { trpc: api, HydrateClient } = createHydrationHelpers<AppRouter>(caller, getQueryClient);
