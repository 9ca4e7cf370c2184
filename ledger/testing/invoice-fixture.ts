// A worked-example invoice document (issue 3: Startup tier, 11,000 requests in the period =
// 50 USDC base fee + 1,000 × 0.01 USDC overage = 60 USDC), shaped as `invoices.get` returns it.
import type { InvoiceDocument } from "../invoices/pdf";

export function workedExampleInvoice(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  const sig = (seed: string) => seed.repeat(88).slice(0, 88);
  return {
    invoiceId: "0000000000000000000010042invoices",
    number: "INV-2025-04-0INVOICE",
    team: {
      teamId: "000000000000000000000010000teams",
      name: "Acme Analytics",
      ownerWallet: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
      chainTeam: "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T",
      vault: "8kJbNhP1Yqz7wGvSx3rCLsT6uVn4aFeHdM2pQ9jWt5Ko",
      billingEmail: "billing@acme.test",
    },
    month: "2025-04",
    periodStartMs: Date.UTC(2025, 3, 1),
    periodEndMs: Date.UTC(2025, 4, 1),
    tier: 0,
    tierName: "Startup",
    lines: [
      { kind: "base_fee", description: "Startup base fee", quantity: 1n, unitPrice: 50_000_000n, amount: 50_000_000n, unpaid: 0n, signatures: [sig("B")], signatureCount: 1 },
      { kind: "included_requests", description: "Requests included in the Startup tier", quantity: 10_000n, unitPrice: 0n, amount: 0n, unpaid: 0n, signatures: [sig("D")], signatureCount: 1 },
      { kind: "overage", description: "Overage requests", quantity: 1_000n, unitPrice: 10_000n, amount: 10_000_000n, unpaid: 0n, signatures: [sig("D")], signatureCount: 1 },
    ],
    members: [
      { userId: "alice", wallet: "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin", requests: 7_000, cost: 6_000_000n },
      { userId: "bob", wallet: null, requests: 4_000, cost: 4_000_000n },
    ],
    total: 60_000_000n,
    unpaid: 0n,
    currency: "USDC",
    decimals: 6,
    status: "paid",
    paidAtMs: Date.UTC(2025, 4, 1, 0, 6),
    delivery: "awaiting",
    deliveredAtMs: null,
    deliveredTo: [],
    recipients: ["owner@acme.test", "billing@acme.test"],
    generatedAtMs: Date.UTC(2025, 4, 1, 0, 5),
    generatedBy: "cron",
    ...overrides,
  } as InvoiceDocument;
}
