// The one place base units become text: "12.50 USDC". Everything else in the code carries bigint base
// units (1 USDC = 1_000_000).
import { USDC_DECIMALS } from "./constants";

export interface FormatUsdcOptions {
  /** Fraction digits shown, 0–6; default 2. Digits cut off are truncated toward zero, never rounded up. */
  decimals?: number;
  /** Append " USDC"; default true. */
  unit?: boolean;
}

/** Base units as a decimal USDC amount, e.g. 12_500_000n → "12.50 USDC", with thousands separators. */
export function formatUsdc(amount: bigint, options: FormatUsdcOptions = {}): string {
  const decimals = options.decimals ?? 2;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > USDC_DECIMALS) throw new RangeError(`decimals must be 0–${USDC_DECIMALS}`);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(USDC_DECIMALS);
  const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (abs % scale).toString().padStart(USDC_DECIMALS, "0").slice(0, decimals);
  const text = `${negative ? "-" : ""}${whole}${decimals > 0 ? `.${fraction}` : ""}`;
  return options.unit === false ? text : `${text} USDC`;
}

/** A decimal USDC string ("12.5", "0.000001") as base units; more than 6 fraction digits is an error. */
export function parseUsdc(text: string): bigint {
  const match = /^(-)?(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim().replace(/,/g, ""));
  if (!match) throw new RangeError(`not a USDC amount with at most ${USDC_DECIMALS} decimals: ${JSON.stringify(text)}`);
  const units = BigInt(match[2]) * 10n ** BigInt(USDC_DECIMALS) + BigInt((match[3] ?? "").padEnd(USDC_DECIMALS, "0"));
  return match[1] ? -units : units;
}
