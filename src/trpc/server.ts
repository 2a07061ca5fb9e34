import "server-only";
import { TRPCError } from "@trpc/server";
import { createHydrationHelpers } from "@trpc/react-query/rsc";
import { createServerSideHelpers } from "@trpc/react-query/server";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { cache } from "react";
import superjson from "superjson";
import { appRouter, createCaller, type AppRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getCurrentSession } from "~/server/auth/current-session";
import { createQueryClient } from "./query-client";

// Server components call procedures directly (no HTTP hop) and hand what they fetched to the browser's
// query cache, so the first HTML already holds the data (create-t3-app's src/trpc/server.ts).
// The session is the one the layout validated for this render (getCurrentSession, once per request): one lookup.
const createContext = cache(async () => createTRPCContext({ headers: new Headers(await headers()), validatedSession: getCurrentSession }));

// No retries on the server: a failed query is left to the browser, whose section retries and says why,
// instead of the whole page waiting out the retry delays (a 404 would too).
const getQueryClient = cache(() => {
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ ...queryClient.getDefaultOptions(), queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  return queryClient;
});
const caller = createCaller(createContext);

export const { trpc: api, HydrateClient } = createHydrationHelpers<AppRouter>(caller, getQueryClient);

// The same procedures with .fetch(input): the answer into the same cache as api.*.prefetch(), and to the page.
const getServerQueries = cache(async () =>
  createServerSideHelpers({ router: appRouter, ctx: await createContext(), queryClient: getQueryClient(), transformer: superjson }),
);

type ServerQueries = Awaited<ReturnType<typeof getServerQueries>>;

/**
 * A query whose answer the page needs itself (its heading, whether the thing exists), fetched once: HydrateClient
 * hands it to the section that shows it, which does not fetch it again. An id that is not the person's, or not an
 * id, is the not-found page. Any other failure (the database) is null: the page frame renders and the section
 * fetches in the browser, saying what went wrong with a Retry, as after a failed prefetch.
 */
export async function fetchForPage<T>(query: (queries: ServerQueries) => Promise<T>): Promise<T | null> {
  try {
    return await query(await getServerQueries());
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) notFound();
    return null;
  }
}
