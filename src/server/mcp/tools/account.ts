import { z } from "zod";
import { TOKEN_SCOPES } from "~/server/tokens/scopes";
import { READ_ONLY, defineScopedTool, type AnyScopedTool } from "../scoped-tools";

const whoamiOutput = z.object({
  user: z.object({ id: z.string(), email: z.string(), firstname: z.string(), surname: z.string() }),
  token: z.object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    expires_at: z.iso.datetime().nullable().describe("When the token stops working; null if it never expires."),
  }),
});

export const accountTools: readonly AnyScopedTool[] = [
  defineScopedTool({
    name: "whoami",
    scope: null,
    title: "Who am I",
    description:
      "Tells who this Carestral token belongs to (user id, email, first name, surname) and what it may do " +
      "(token name, scopes, expiry). Use it to address the user by name, or to check the scopes before " +
      "reading data (read:data) or booking (write:bookings).",
    inputSchema: z.object({}),
    outputSchema: whoamiOutput,
    annotations: READ_ONLY,
    async run(_args, { caller }) {
      return {
        user: caller.user,
        token: {
          id: caller.token.id,
          name: caller.token.name,
          scopes: caller.token.scopes,
          expires_at: caller.token.expiresAt?.toISOString() ?? null,
        },
      };
    },
  }),
];
