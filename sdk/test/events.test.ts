import assert from "node:assert/strict";
import { BN, BorshCoder, type Idl } from "@coral-xyz/anchor";
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, PublicKey } from "@solana/web3.js";
import { IDL_JSON, PROGRAM_ID, eventsNamed, parseEvents } from "../src";

// Encodes an event the way the program logs it: sol_log_data([discriminator ‖ borsh(event)]), which the
// runtime prints as "Program data: <base64>".
const coder = new BorshCoder(IDL_JSON as unknown as Idl);
function programData(name: string, fields: Record<string, unknown>): string {
  const event = IDL_JSON.events.find((e) => e.name === name);
  assert.ok(event);
  const body = coder.types.encode(name, fields);
  return `Program data: ${Buffer.concat([Buffer.from(event.discriminator), body]).toString("base64")}`;
}

describe("event decoding", () => {
  const team = Keypair.generate().publicKey;
  const owner = Keypair.generate().publicKey;
  const root = Array.from({ length: 32 }, (_, i) => i);
  const id = PROGRAM_ID.toBase58();
  const usage = programData("UsageDeducted", {
    team,
    batch_seq: new BN(3),
    request_count: new BN(1_000),
    amount_charged: new BN(10_000_000),
    amount_paid: new BN(10_000_000),
    amount_waived: new BN(0),
    period_requests: new BN(11_000),
    balance_after: new BN("18446744073709551615"),
    usage_root: root,
  });
  const alert = programData("LowBalanceAlert", { team, owner, balance: new BN(9_000_000), threshold: new BN(10_000_000), timestamp: new BN(-5) });
  const revenue = programData("RevenueDistributed", { team, source: 1, treasury_amount: new BN(0), staker_amount: new BN(10_000_000) });
  const logs = [
    `Program ${id} invoke [1]`,
    "Program log: Instruction: DeductUsage",
    `Program ${TOKEN_PROGRAM_ID.toBase58()} invoke [2]`,
    "Program log: Instruction: Transfer",
    // Another program's data line inside the CPI must not be read as ours.
    usage,
    `Program ${TOKEN_PROGRAM_ID.toBase58()} consumed 76 of 190000 compute units`,
    `Program ${TOKEN_PROGRAM_ID.toBase58()} success`,
    usage,
    revenue,
    alert,
    `Program ${id} consumed 9000 of 200000 compute units`,
    `Program ${id} success`,
  ];

  it("decodes the program's events in order, with bigint amounts, base58 keys and a hex root", () => {
    const events = parseEvents(logs);
    assert.deepEqual(events.map((e) => e.name), ["UsageDeducted", "RevenueDistributed", "LowBalanceAlert"]);
    const [deducted] = eventsNamed(events, "UsageDeducted");
    assert.deepEqual(deducted, {
      team: team.toBase58(),
      batchSeq: 3n,
      requestCount: 1_000n,
      amountCharged: 10_000_000n,
      amountPaid: 10_000_000n,
      amountWaived: 0n,
      periodRequests: 11_000n,
      balanceAfter: 18_446_744_073_709_551_615n,
      usageRoot: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    });
    assert.deepEqual(eventsNamed(events, "LowBalanceAlert")[0], { team: team.toBase58(), owner: owner.toBase58(), balance: 9_000_000n, threshold: 10_000_000n, timestamp: -5n });
    assert.deepEqual(eventsNamed(events, "RevenueDistributed")[0], { team: team.toBase58(), source: 1, treasuryAmount: 0n, stakerAmount: 10_000_000n });
  });

  it("finds nothing in another program's logs or in no logs", () => {
    const other = new PublicKey(new Uint8Array(32).fill(7));
    assert.deepEqual(parseEvents(logs, other), []);
    assert.deepEqual(parseEvents([]), []);
  });

  it("decodes every event of the contract", () => {
    const k = () => Keypair.generate().publicKey;
    const all = [
      programData("TeamAccountCreated", { team: k(), owner: k(), vault: k(), tier: 2, period_end: new BN(99) }),
      programData("FundsDeposited", { team: k(), depositor: k(), amount: new BN(1), balance_after: new BN(2) }),
      programData("WithdrawalRequested", { team: k(), amount: new BN(5), unlock_at: new BN(900) }),
      programData("FundsWithdrawn", { team: k(), owner: k(), amount: new BN(5), balance_after: new BN(0) }),
      programData("TierUpdated", { team: k(), old_tier: 0, new_tier: 1, effective_at: new BN(7), prorated_fee: new BN(8) }),
      programData("PeriodRolled", { team: k(), period_start: new BN(1), period_end: new BN(2), tier: 0, base_fee_charged: new BN(50_000_000) }),
      programData("ConfigUpdated", { admin: k() }),
    ];
    const events = parseEvents([`Program ${id} invoke [1]`, ...all, `Program ${id} success`]);
    assert.deepEqual(events.map((e) => e.name), ["TeamAccountCreated", "FundsDeposited", "WithdrawalRequested", "FundsWithdrawn", "TierUpdated", "PeriodRolled", "ConfigUpdated"]);
    assert.equal(eventsNamed(events, "TierUpdated")[0].proratedFee, 8n);
    assert.equal(eventsNamed(events, "PeriodRolled")[0].baseFeeCharged, 50_000_000n);
    assert.equal(eventsNamed(events, "TeamAccountCreated")[0].tier, 2);
  });
});
