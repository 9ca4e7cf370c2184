// Amount display, always through the SDK's display module (sdk/src/format.ts).
import { formatUsdc } from "../../sdk/src/format";

export { formatUsdc };

/** Base units as USDC with the fewest decimals (at least 2) that show the amount exactly: 10_000n → "0.01 USDC", 1_500n → "0.0015 USDC". */
export function formatUsdcExact(amount: bigint, unit = true): string {
  let decimals = 2;
  while (decimals < 6 && amount % 10n ** BigInt(6 - decimals) !== 0n) decimals += 1;
  return formatUsdc(amount, { decimals, unit });
}
