import { describe, expect, it } from "vitest";
import { activityCsvRow, csvRow, exportPeriodSchema } from "./csv";

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

  it("writes one call as a row, time in UTC ISO 8601", () => {
    const line = activityCsvRow({
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
    });
    expect(line).toBe(
      '"2026-11-20T10:00:00.000Z","Claude, laptop","t-1","bookings_create","ok",12,"203.0.113.7",,"Hôpital Test, Cardiologie",,"claude-code","2.1.0"\r\n',
    );
  });

  it("reads a period of whole UTC days, both included, and refuses reversed or overlong ones", () => {
    expect(exportPeriodSchema.parse({ from: "2026-11-01", to: "2026-11-01" })).toEqual({
      from: new Date("2026-11-01T00:00:00Z"),
      to: new Date("2026-11-02T00:00:00Z"),
    });
    expect(exportPeriodSchema.safeParse({ from: "2026-11-02", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: "2020-01-01", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: "yesterday", to: "2026-11-01" }).success).toBe(false);
    expect(exportPeriodSchema.safeParse({ from: null, to: null }).success).toBe(false);
  });
});
