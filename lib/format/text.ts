// Display helpers for everything that is not an amount (amounts: sdk/src/format.ts, the one module that
// turns base units into "12.50 USDC").

/** "7xKX…9fQ2": the first and last four characters of an address or signature. */
export function shortAddress(text: string, keep = 4): string {
  return text.length <= keep * 2 + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}

/** Unix milliseconds as "2026-11-21 14:05 UTC". */
export function formatDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Unix milliseconds as "2026-11-21". */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A duration in seconds as "2 d 4 h", "13 min 5 s", "45 s"; 0 or less is "now". */
export function formatDuration(totalSecs: number): string {
  if (!(totalSecs > 0)) return "now";
  const s = Math.floor(totalSecs);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return seconds > 0 ? `${minutes} min ${seconds} s` : `${minutes} min`;
  return `${seconds} s`;
}

/** A whole number with thousands separators: 12345 → "12,345". */
export function formatCount(n: number | bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export const ROLE_NAMES = { owner: "Owner", admin: "Admin", member: "Member" } as const;

/** "1 request", "12,000 requests". */
export function countOf(n: number | bigint, noun: string, pluralNoun = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 || n === 1n ? noun : pluralNoun}`;
}
