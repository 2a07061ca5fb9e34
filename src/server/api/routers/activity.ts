import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { dailyActivity, listActivity, type ActivityOwner } from "~/server/activity/queries";
import { activityPageInputSchema } from "~/server/activity/schemas";
import type { Database } from "~/server/db/client";
import { tokenIdSchema } from "~/server/tokens/schemas";
import { getToken } from "~/server/tokens/service";
import { createTRPCRouter, protectedProcedure } from "../trpc";

// The MCP activity trail, for the token page and /dashboard/activity. Always the caller's own calls.

const ownerInput = z.object({ tokenId: tokenIdSchema.optional() });

/** The caller's calls, or one of their tokens' calls; another person's token id is NOT_FOUND. */
async function ownerFor(db: Database, userId: string, tokenId: string | undefined): Promise<ActivityOwner> {
  if (tokenId === undefined) return { userId };
  if (!(await getToken(db, userId, tokenId))) {
    throw new TRPCError({ code: "NOT_FOUND", message: "No such token among yours. Refresh the list and try again." });
  }
  return { userId, tokenIds: [tokenId] };
}

export const activityRouter = createTRPCRouter({
  /** Calls newest first, a page at a time, optionally of one outcome and one tool. */
  list: protectedProcedure.input(ownerInput.extend(activityPageInputSchema.shape)).query(async ({ ctx, input }) => {
    const owner = await ownerFor(ctx.db, ctx.user.id, input.tokenId);
    return listActivity(ctx.db, owner, { outcome: input.outcome, tool: input.tool, cursor: input.cursor, limit: input.limit });
  }),

  /** Calls per UTC day over the last 30 days, for the chart. */
  daily: protectedProcedure.input(ownerInput).query(async ({ ctx, input }) => {
    return dailyActivity(ctx.db, await ownerFor(ctx.db, ctx.user.id, input.tokenId));
  }),
});
