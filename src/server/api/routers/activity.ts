import { z } from "zod";
import { dailyActivity, listActivity, type ActivityOwner } from "~/server/activity/queries";
import { activityPageInputSchema } from "~/server/activity/schemas";
import type { Database } from "~/server/db/client";
import { tokenIdSchema } from "~/server/tokens/schemas";
import { activityOwnerFor } from "~/server/activity/owner";
import { personTimeZone } from "~/server/account/time-zone";
import { DomainError } from "~/server/domain-error";
import { createTRPCRouter, domainProcedure } from "../trpc";

// The MCP activity trail, for the token page and /dashboard/activity. Always the caller's own calls.

const ownerInput = z.object({ tokenId: tokenIdSchema.optional(), appId: z.uuid({ error: "Not a connected app id." }).optional() });

/** The caller's calls, one of their tokens', or one of their connected apps'; another person's id is NOT_FOUND. */
async function ownerFor(db: Database, userId: string, scope: z.infer<typeof ownerInput>): Promise<ActivityOwner> {
  const owner = await activityOwnerFor(db, userId, scope);
  if (!owner) {
    const what = scope.appId !== undefined ? "connected app" : "token";
    throw new DomainError("not_found", `No such ${what} among yours. Refresh the list and try again.`);
  }
  return owner;
}

export const activityRouter = createTRPCRouter({
  /** Calls newest first, a page at a time, optionally of one outcome and one tool. */
  list: domainProcedure.input(ownerInput.extend(activityPageInputSchema.shape)).query(async ({ ctx, input }) => {
    const owner = await ownerFor(ctx.db, ctx.user.id, input);
    return listActivity(ctx.db, owner, { outcome: input.outcome, tool: input.tool, protocol: input.protocol, cursor: input.cursor, limit: input.limit });
  }),

  /** Calls per day in the caller's time zone over the last 30 days, for the chart. */
  daily: domainProcedure.input(ownerInput).query(async ({ ctx, input }) => {
    return dailyActivity(ctx.db, await ownerFor(ctx.db, ctx.user.id, input), { timeZone: personTimeZone(ctx.user) });
  }),
});
