import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { listConnectedApps, revokeConnectedApp } from "~/server/oauth/grants";
import { createTRPCRouter, protectedProcedure } from "../trpc";

// OAuth connections (DESIGN: OAuth 2.1 for MCP clients, "Connected apps"). Thin: the grants module owns the rules.

export const connectedAppsRouter = createTRPCRouter({
  /** The caller's active connections, newest first. */
  list: protectedProcedure.query(({ ctx }) => listConnectedApps(ctx.db, ctx.user.id)),

  /** Ends a connection and every token issued under it. */
  revoke: protectedProcedure.input(z.object({ id: z.uuid({ error: "Not a connection id." }) })).mutation(async ({ ctx, input }) => {
    const revoked = await revokeConnectedApp(ctx.db, ctx.user.id, input.id);
    if (!revoked) throw new TRPCError({ code: "NOT_FOUND", message: "No such connected app among yours. Refresh the page and try again." });
    return { id: input.id };
  }),
});
