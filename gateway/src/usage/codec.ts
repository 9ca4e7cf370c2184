// Line format of the usage log: `<crc32 of the JSON, 8 hex> <JSON>\n`, one record per line.
// The checksum tells a torn last line (the process died mid-write) from a good one.
// Amounts and counts are decimal strings: JSON numbers cannot hold a u64.
import { crc32 } from "node:zlib";
import type { UsageEntry } from "./sink";

/** A served request. */
export interface UsageLine {
  t: "u";
  id: string;
  tid: string;
  team: string;
  user: string | null;
  ep: string;
  n: string;
  c: string;
  ts: number;
}

/** A batch formed by the settler: the listed requests settle with deduct_usage(seq). Written before the tx is sent. */
export interface BatchLine {
  t: "b";
  team: string;
  seq: string;
  ids: string[];
}

/** The batch was settled on chain (signature null when it was found settled without ours, e.g. after a crash). */
export interface SettledLine {
  t: "s";
  team: string;
  seq: string;
  sig: string | null;
}

export type LogLine = UsageLine | BatchLine | SettledLine;

export class UsageLogCorruptError extends Error {
  readonly code = "usage_log_corrupt";
}

export function usageLine(e: UsageEntry): UsageLine {
  return {
    t: "u",
    id: e.requestId,
    tid: e.teamId,
    team: e.team,
    user: e.userId,
    ep: e.endpoint,
    n: e.units.toString(),
    c: e.cost.toString(),
    ts: e.timestampMs,
  };
}

export function entryOf(l: UsageLine): UsageEntry {
  return {
    requestId: l.id,
    teamId: l.tid,
    team: l.team,
    userId: l.user,
    endpoint: l.ep,
    units: BigInt(l.n),
    cost: BigInt(l.c),
    timestampMs: l.ts,
  };
}

export function encodeLine(l: LogLine): string {
  return framed(JSON.stringify(l));
}

function framed(json: string): string {
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/**
 * encodeLine(usageLine(e)) without the intermediate object: the same JSON text (same keys, same order),
 * written out for the request path, where every allocation shows up in GC time.
 */
export function encodeUsageEntry(e: UsageEntry): string {
  const q = JSON.stringify;
  return framed(
    `{"t":"u","id":${q(e.requestId)},"tid":${q(e.teamId)},"team":${q(e.team)},"user":${e.userId === null ? "null" : q(e.userId)},"ep":${q(e.endpoint)},"n":"${e.units}","c":"${e.cost}","ts":${q(e.timestampMs)}}`,
  );
}

/** Decodes one line (without its newline); null when the checksum or the JSON does not hold. */
export function decodeLine(line: string): LogLine | null {
  if (line.length < 10 || line[8] !== " ") return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, "0") !== line.slice(0, 8)) return null;
  try {
    const l = JSON.parse(json) as LogLine;
    return l.t === "u" || l.t === "b" || l.t === "s" ? l : null;
  } catch {
    return null;
  }
}
