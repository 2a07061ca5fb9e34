import { sql } from "drizzle-orm";
import { openDatabase } from "../../src/server/db/client";
import { users } from "../../src/server/db/schema";
import { generateToken } from "../../src/server/tokens/service";
import { createScratchDatabase, percentile, quick, round, type Figures } from "./lib";

// Every dashboard page's queries as the trail grows (issue 24): one person's pages measured with the trail at one
// size, then again after it grew tenfold, beside a million tokens of other people. The person makes a fixed share of
// the calls (a busy person: one call in a hundred), spread over the 90 days of the default retention. Rows are made
// with generate_series in SQL (the roll-up's trigger counts them as it would the recorder's batches).
// Opt-in (`--only=dashboard_scale`): filling ten million rows takes minutes.

const SIZES = (process.argv.find((arg) => arg.startsWith("--trail-rows="))?.slice("--trail-rows=".length) ?? (quick ? "100000,1000000" : "1000000,10000000"))
  .split(",")
  .map(Number);
const OTHER_TOKENS = quick ? 100_000 : 1_000_000;
const OTHER_PEOPLE = OTHER_TOKENS / 10;

export async function benchDashboardScale(): Promise<Figures> {
  const { listActivity, dailyActivity } = await import("../../src/server/activity/queries");
  const { listTokens, getToken } = await import("../../src/server/tokens/service");
  const { listConnectedApps } = await import("../../src/server/oauth/grants");
  const { listBookings } = await import("../../src/server/bookings/queries");
  const database = await createScratchDatabase("bench_dashboard");
  const handle = await openDatabase({ engine: "postgres", url: database.url, maxConnections: 4 });
  try {
    await handle.migrate();
    const { db } = handle;
    const [person] = await db
      .insert(users)
      .values({ email: "measured@example.test", firstname: "Measured", surname: "Person", passwordHash: "not-a-password-hash" })
      .returning({ id: users.id });
    if (!person) throw new Error("no user");
    const tokenIds: string[] = [];
    for (let n = 0; n < 5; n++) tokenIds.push((await generateToken(db, person.id, { name: `token ${n}`, scopes: ["read:data"], expiresInDays: 365 })).id);

    console.log(`making ${OTHER_PEOPLE} other people with ${OTHER_TOKENS} tokens…`);
    const started = performance.now();
    await db.execute(sql`
      insert into users (email, firstname, surname, password_hash)
      select 'other' || g || '@example.test', 'Other', 'Person', 'x' from generate_series(1, ${OTHER_PEOPLE}::int) g`);
    await db.execute(sql`
      insert into api_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at)
      select u.id, 'token ' || n, md5(u.id::text || n), 'mcp_bench000', '{read:data}', now() + interval '30 days'
      from (select id from users where email like 'other%') u, generate_series(1, 10) n`);
    const tokensSeconds = round((performance.now() - started) / 1000, 1);

    const otherTokens = sql`select array_agg(id order by id) as ids, array_agg(user_id order by id) as user_ids
      from (select id, user_id from api_tokens where name = 'token 1' limit 1000) t`;
    let rows = 0;
    const grow = async (to: number) => {
      console.log(`growing mcp_activity from ${rows} to ${to} rows…`);
      const at = performance.now();
      // One call in a hundred is the measured person's, on one of their five tokens; the rest are 1 000 other tokens'.
      await db.execute(sql`
        with others as (${otherTokens})
        insert into mcp_activity (at, user_id, token_id, tool, outcome, duration_ms, client_ip, user_agent, summary)
        select now() - interval '90 days' + (g * interval '90 days' / ${to}::float8),
               case when g % 100 = 0 then ${person.id}::uuid else others.user_ids[1 + g % 1000] end,
               case when g % 100 = 0 then (${sql.raw(`array[${tokenIds.map((id) => `'${id}'::uuid`).join(",")}]`)})[1 + (g / 100) % 5] else others.ids[1 + g % 1000] end,
               (array['whoami','hospitals_search','hospitals_get','bookings_list','bookings_create','tools/list'])[1 + g % 6],
               (case when g % 50 = 0 then 'tool_error' else 'ok' end)::mcp_activity_outcome,
               g % 40, '203.0.113.7', 'claude-code/2.0', 'city paris: 3 found'
        from others, generate_series(${rows + 1}::int, ${to}::int) as g`);
      await db.execute(sql`analyze`);
      rows = to;
      return round((performance.now() - at) / 1000, 1);
    };
    const measure = async (work: () => Promise<unknown>, samples = quick ? 30 : 100) => {
      for (let i = 0; i < 5; i++) await work();
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        await work();
        times.push(performance.now() - t);
      }
      return round(percentile(times, 50), 2);
    };
    const everyToken = { userId: person.id };
    const oneToken = { userId: person.id, tokenIds: [tokenIds[0] ?? ""] };
    const timeZone = "Europe/Paris";
    // What each page asks the database for (src/app/dashboard/…), p50 in ms.
    const pages = async (): Promise<Figures> => ({
      tokens_page: await measure(() => Promise.all([listTokens(db, person.id), listConnectedApps(db, person.id)])),
      token_page: await measure(async () => {
        await getToken(db, person.id, tokenIds[0] ?? "");
        await Promise.all([listActivity(db, oneToken), dailyActivity(db, oneToken, { timeZone })]);
      }),
      activity_page: await measure(() => Promise.all([listActivity(db, everyToken), dailyActivity(db, everyToken, { timeZone })])),
      activity_next_page: await measure(async () => {
        const first = await listActivity(db, everyToken, { limit: 100 });
        await listActivity(db, everyToken, { cursor: first.nextCursor ?? undefined });
      }),
      activity_filtered: await measure(() => listActivity(db, everyToken, { outcome: "tool_error", tool: "bookings_create" })),
      chart_30_days_all_tokens: await measure(() => dailyActivity(db, everyToken, { timeZone })),
      bookings_page: await measure(() => listBookings(db, person.id)),
    });
    const figures: Figures = { other_tokens: OTHER_TOKENS, tokens_fill_seconds: tokensSeconds };
    for (const size of SIZES) {
      const fillSeconds = await grow(size);
      figures[`trail_${size}`] = { fill_seconds: fillSeconds, ...(await pages()) };
      console.log(`with ${size} calls: ${JSON.stringify(figures[`trail_${size}`])}`);
    }
    return figures;
  } finally {
    await handle.close();
    await database.drop();
  }
}
