// JSON text for RPC responses. Lamports and token amounts are u64 on chain and can exceed 2^53 (the faucet
// alone holds 10^18 lamports), so bigint values are written as exact integer literals, as solana-validator
// writes them, instead of losing precision in a JS number.

const MARK = "\u0000bigint:";

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${MARK}${value.toString()}` : value;
}

/** JSON.stringify that writes bigint values as integer literals. */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, replacer);
  if (text === undefined) return "null";
  // A marker can only appear as a whole JSON string: a bigint that went through the replacer.
  return text.includes("\\u0000bigint:") ? text.replace(/"\\u0000bigint:(-?\d+)"/g, "$1") : text;
}
