/**
 * A valid booking time for tests: `days` from now at `hour`:00 UTC, on a quarter-hour slot. The one
 * helper for booking times; pass different days or hours for slots that must not collide.
 */
export function futureSlot(days: number, hour = 10): string {
  const date = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
}
