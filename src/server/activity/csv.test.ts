import { describe, expect, it } from "vitest";
import { activityCsvRow, csvHeaderLine, csvRow, exportPeriodIn, exportPeriodSchema } from "./csv";

describe("activity CSV", () => {
  it("quotes every text field (commas, quotes and line breaks included); numbers and nulls stay bare", () => {
    expect(csvRow(["a", 1, null, 'say "hi", twice', "two\nlines"])).toBe('"a",1,,"say ""hi"", twice","two\nlines"\r\n');
  });

  it("defuses cells a spreadsheet would run as a formula", () => {
    expect(csvRow(["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "  =1+1", "\tx"])).toBe(
      `"'=HYPERLINK(""http://evil"")","'+1","'-2","'@SUM(A1)","'  =1+1","'\tx"\r\n`,
    );
  });

  it("keeps a field whole for a spreadsheet that splits on semicolons", () => {
    const line = csvRow(["x;=cmd|' /C calc'!A0", "claude;@SUM(1)"]);
    expect(line).toBe(`"x;=cmd|' /C calc'!A0","claude;@SUM(1)"\r\n`);
  });

  it("writes one call as a row, its time in ISO 8601 at the person's zone with the offset; the header names the zone", () => {
    const entry = {
      id: 1,
      at: new Date("2026-11-20T10:00:00.000Z"),
      grantId: null,
      tokenId: "t-1",
      tokenName: "Claude, laptop",
      tool: "bookings_create",
      outcome: "ok",
      durationMs: 12,
      clientIp: "203.0.113.7",
      userAgent: null,
      summary: "Hôpital Test, Cardiologie",
      error: null,
      clientName: "claude-code",
      clientVersion: "2.1.0",
    } as const;
    expect(csvHeaderLine("America/New_York")).toBe(
      "time (America/New_York),token,token_id,tool,outcome,duration_ms,client_ip,user_agent,summary,error,client_name,client_version\r\n",
    );
    expect(activityCsvRow(entry, "UTC")).toMatch(/^"2026-11-20T10:00:00\.000\+00:00",/);
    expect(activityCsvRow(entry, "Asia/Kolkata")).toMatch(/^"2026-11-20T15:30:00\.000\+05:30",/);
    expect(activityCsvRow(entry, "America/New_York")).toBe(
      '"2026-11-20T05:00:00.000-05:00","Claude, laptop","t-1","bookings_create","ok",12,"203.0.113.7",,"Hôpital Test, Cardiologie",,"claude-code","2.1.0"\r\n',
    );
  });

  it("reads a period of whole days in the person's zone, both included, and refuses reversed or overlong ones", () => {
    const oneDay = exportPeriodSchema.parse({ from: "2026-11-01", to: "2026-11-01" });
    expect(exportPeriodIn(oneDay, "UTC")).toEqual({ from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-11-02T00:00:00Z") });
    // New York's clocks went back on 1 November 2026: that day is 25 hours long there.
    expect(exportPeriodIn(oneDay, "America/New_York")).toEqual({ from: new Date("2026-11-01T04:00:00Z"), to: new Date("2026-11-02T05:00:00Z") });
    expect(exportPeriodIn({ from: "2026-12-31", to: "2027-01-01" }, "Asia/Tokyo")).toEqual({
      from: new Date("2026-12-30T15:00:00Z"),
      to: new Date("2027-01-01T15:00:00Z"),
    });
    expect(exportPeriodSchema.safeParse({ from: "2026-01-01", to: "2026-12-31" }).success).toBe(true);
    expect(exportPeriodSchema.safeParse({ from: "2026-11-02", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: "2020-01-01", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: "yesterday", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: null, to: null }).success).toBe(false);
  });
});
