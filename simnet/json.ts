// JSON text for RPC responses. Lamports and token amounts are u64 on chain and can exceed 2^53 (the faucet
// alone holds 10^18 lamports), so bigint values are written as exact integer literals, as solana-validator
// writes them, instead of losing precision in a JS number.
import { randomBytes } from "node:crypto";

// A bigint goes through JSON.stringify as a marked string, then the marks are replaced by the digits. The
// mark holds a per-process random part, so no string a client or a program can choose (a log line, a
// memo) is ever taken for one.
const MARK = `\u0000${randomBytes(12).toString("hex")}:`;
const ESCAPED_MARK = JSON.stringify(MARK).slice(1, -1);
const MARKED = new RegExp(`"${ESCAPED_MARK.replace(/\\/g, "\\\\")}(-?\\d+)"`, "g");

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${MARK}${value.toString()}` : value;
}

/** JSON.stringify that writes bigint values as integer literals. */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, replacer);
  if (text === undefined) return "null";
  return text.includes(ESCAPED_MARK) ? text.replace(MARKED, "$1") : text;
}
