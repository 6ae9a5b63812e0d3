/** The smallest UUIDv7 of a millisecond: every event id of that time or later sorts at or above it. */
export function idFloorOf(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`
}
