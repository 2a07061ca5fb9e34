import "server-only";
import { headers } from "next/headers";
import { cache } from "react";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

/** tRPC for server components: the same procedures, called in-process with the request's headers. */
export const createServerCaller = cache(async () => {
  const context = await createTRPCContext({ headers: new Headers(await headers()) });
  return createCaller(context);
});
