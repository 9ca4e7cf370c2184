// The PAYMENT-REQUIRED header of a 402: how a client tops up. Like x402's header of the same name it is
// base64 of a JSON document, here describing a deposit into the team's vault (instruction deposit_funds).

export interface PaymentRequired {
  /** Format version of this document. */
  readonly version: 1;
  /** What the client should do: deposit into the vault. */
  readonly action: "deposit";
  /** Cluster the vault lives on, e.g. "solana:devnet" or "solana:localnet". */
  readonly network: string;
  /** Program instruction that takes the deposit. */
  readonly instruction: "deposit_funds";
  /** On-chain TeamBillingAccount address (base58). */
  readonly team: string;
  /** Vault token account (base58). */
  readonly vault: string;
  /** Token mint (base58). */
  readonly mint: string;
  /** Smallest deposit that pays for the refused request, USDC base units as a decimal string. */
  readonly amount: string;
}

export function encodePaymentRequired(p: PaymentRequired): string {
  return Buffer.from(JSON.stringify(p), "utf8").toString("base64");
}

export function decodePaymentRequired(header: string): PaymentRequired {
  return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PaymentRequired;
}
