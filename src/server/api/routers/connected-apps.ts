import { z } from "zod";
import { DomainError } from "~/server/domain-error";
import { getConnectedApp, listConnectedApps, revokeConnectedApp } from "~/server/oauth/grants";
import { createTRPCRouter, domainProcedure } from "../trpc";

// OAuth connections (DESIGN: OAuth 2.1 for MCP clients, "Connected apps"). Thin: the grants module owns the rules.

export const connectedAppsRouter = createTRPCRouter({
  /** The caller's active connections, newest first. */
  list: domainProcedure.query(({ ctx }) => listConnectedApps(ctx.db, ctx.user.id)),

  /** One of the caller's connections, revoked ones included (its page); another person's is NOT_FOUND. */
  get: domainProcedure.input(z.object({ id: z.uuid({ error: "Not a connection id." }) })).query(async ({ ctx, input }) => {
    const app = await getConnectedApp(ctx.db, ctx.user.id, input.id);
    if (!app) throw new DomainError("not_found", "No such connected app among yours.");
    return app;
  }),

  /** Ends a connection and every token issued under it. */
  revoke: domainProcedure.input(z.object({ id: z.uuid({ error: "Not a connection id." }) })).mutation(async ({ ctx, input }) => {
    await revokeConnectedApp(ctx.db, ctx.user.id, input.id);
    return { id: input.id };
  }),
});
