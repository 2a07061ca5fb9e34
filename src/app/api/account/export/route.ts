import { exportAccountData } from "~/server/account/export";
import { sessionTokenFromCookieHeader } from "~/server/auth/cookie";
import { validateSessionToken } from "~/server/auth/session";
import { describeError } from "~/server/describe-error";
import { getDb, isDatabaseUnavailable, withDatabaseDeadline } from "~/server/db";

// "Export my data": the signed-in person's data as a JSON download. A GET that changes nothing, so another
// site linking here can at most make a visitor download their own data to their own machine.
export async function GET(request: Request): Promise<Response> {
  const token = sessionTokenFromCookieHeader(request.headers.get("cookie"));
  if (!token) return Response.json({ error: "Sign in to export your data." }, { status: 401 });
  try {
    const data = await withDatabaseDeadline(
      (async () => {
        const db = await getDb();
        const { user } = await validateSessionToken(db, token);
        return user ? exportAccountData(db, user.id) : null;
      })(),
    );
    if (!data) return Response.json({ error: "Sign in to export your data." }, { status: 401 });
    const day = data.exportedAt.slice(0, 10);
    return new Response(`${JSON.stringify(data, null, 2)}\n`, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="carestral-export-${day}.json"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      return Response.json({ error: "The database is unavailable. Try again shortly." }, { status: 503, headers: { "retry-after": "5" } });
    }
    console.error(`Export failed: ${describeError(error)}`);
    return Response.json({ error: "Something went wrong on our side. Try again in a moment." }, { status: 500 });
  }
}
