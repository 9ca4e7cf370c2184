import assert from "node:assert/strict";
import { BN, BorshAccountsCoder, type Idl } from "@coral-xyz/anchor";
import { Keypair } from "@solana/web3.js";
import { randomBytes } from "node:crypto";
import { DEFAULT_TIERS, IDL_JSON, NO_PENDING_TIER, TeamStatus, decodeBillingConfig, decodeTeamBillingAccount } from "../src";
import { configFromRaw, teamFromRaw } from "../src/accounts";
import { camelKeys } from "../src/convert";

const coder = new BorshAccountsCoder(IDL_JSON as unknown as Idl);

/** TeamBillingAccount data with every number zero. */
function zeroTeamData(): Promise<Buffer> {
  return coder.encode("TeamBillingAccount", {
    owner: Keypair.generate().publicKey, vault: Keypair.generate().publicKey, tier: 0, pending_tier: 255, status: 0,
    period_start: new BN(0), period_end: new BN(0), base_fee_paid: false, period_requests: new BN(0),
    period_overage_spend: new BN(0), spend_cap: new BN(0), low_balance_threshold: new BN(0), low_balance_alerted: false,
    last_batch_seq: new BN(0), unpaid_base_fee: new BN(0), unpaid_overage: new BN(0), pending_withdrawal: new BN(0),
    withdrawal_unlock_at: new BN(0), total_deposited: new BN(0), total_withdrawn: new BN(0), total_spent: new BN(0),
    bump: 0, vault_bump: 0,
  });
}

describe("account decoding", () => {
  it("decodes TeamBillingAccount data into bigint amounts and times", async () => {
    const owner = Keypair.generate().publicKey;
    const vault = Keypair.generate().publicKey;
    const data = await coder.encode("TeamBillingAccount", {
      owner, vault, tier: 1, pending_tier: NO_PENDING_TIER, status: 1,
      period_start: new BN(-1), period_end: new BN(2_592_000), base_fee_paid: true,
      period_requests: new BN(11_000), period_overage_spend: new BN(10_000_000), spend_cap: new BN(0),
      low_balance_threshold: new BN(10_000_000), low_balance_alerted: false, last_batch_seq: new BN(4),
      unpaid_base_fee: new BN(0), unpaid_overage: new BN("18446744073709551615"), pending_withdrawal: new BN(5),
      withdrawal_unlock_at: new BN(900), total_deposited: new BN(100_000_000), total_withdrawn: new BN(0),
      total_spent: new BN(60_000_000), bump: 254, vault_bump: 253,
    });
    const team = decodeTeamBillingAccount(data);
    assert.ok(team.owner.equals(owner));
    assert.equal(team.tier, 1);
    assert.equal(team.status, TeamStatus.Suspended);
    assert.equal(team.periodStart, -1n);
    assert.equal(team.unpaidOverage, 18_446_744_073_709_551_615n);
    assert.equal(team.lastBatchSeq, 4n);
    assert.equal(team.vaultBump, 253);
  });

  it("decodes BillingConfig data with its tier terms", async () => {
    const k = () => Keypair.generate().publicKey;
    const tiers = DEFAULT_TIERS.map((t) => ({ monthly_fee: new BN(t.monthlyFee.toString()), included_requests: new BN(t.includedRequests.toString()), overage_price: new BN(t.overagePrice.toString()) }));
    const data = await coder.encode("BillingConfig", {
      admin: k(), billing_authority: k(), usdc_mint: k(), treasury: k(), staker_pool: k(),
      base_fee_treasury_bps: 9_000, overage_treasury_bps: 0, withdrawal_notice_secs: new BN(900),
      period_secs: new BN(2_592_000), paused: false, tiers, bump: 255,
    });
    const config = decodeBillingConfig(data);
    assert.deepEqual(config.tiers, DEFAULT_TIERS.map((t) => ({ ...t })));
    assert.equal(config.baseFeeTreasuryBps, 9_000);
    assert.equal(config.periodSecs, 2_592_000n);
  });

  it("refuses data of another account type", async () => {
    const data = await zeroTeamData();
    assert.throws(() => decodeBillingConfig(data));
  });

  it("reads exactly what anchor's coder reads, for random field values including the extremes", async () => {
    const u64 = (): BN => new BN(randomBytes(8), "le");
    const i64 = (): BN => u64().fromTwos(64);
    const byte = (): number => randomBytes(1)[0]!;
    const bool = (): boolean => byte() % 2 === 1;
    const key = () => Keypair.generate().publicKey;
    for (let i = 0; i < 200; i++) {
      const extreme = i % 3 === 0 ? new BN("18446744073709551615") : null;
      const team = await coder.encode("TeamBillingAccount", {
        owner: key(), vault: key(), tier: byte(), pending_tier: byte(), status: byte(),
        period_start: i % 5 === 0 ? new BN("-9223372036854775808") : i64(), period_end: i64(), base_fee_paid: bool(),
        period_requests: extreme ?? u64(), period_overage_spend: u64(), spend_cap: u64(), low_balance_threshold: u64(),
        low_balance_alerted: bool(), last_batch_seq: u64(), unpaid_base_fee: u64(), unpaid_overage: extreme ?? u64(),
        pending_withdrawal: u64(), withdrawal_unlock_at: i64(), total_deposited: u64(), total_withdrawn: u64(), total_spent: u64(),
        bump: byte(), vault_bump: byte(),
      });
      assert.deepEqual(decodeTeamBillingAccount(team), teamFromRaw(camelKeys(coder.decode("TeamBillingAccount", team)) as never));
      const tiers = [0, 1, 2].map(() => ({ monthly_fee: u64(), included_requests: extreme ?? u64(), overage_price: u64() }));
      const config = await coder.encode("BillingConfig", {
        admin: key(), billing_authority: key(), usdc_mint: key(), treasury: key(), staker_pool: key(),
        base_fee_treasury_bps: byte() * 39, overage_treasury_bps: byte() * 39, withdrawal_notice_secs: i64(),
        period_secs: i64(), paused: bool(), tiers, bump: byte(),
      });
      assert.deepEqual(decodeBillingConfig(config), configFromRaw(camelKeys(coder.decode("BillingConfig", config)) as never));
    }
  });

  it("refuses data too short for the account, and a bool that is neither 0 nor 1", async () => {
    const data = await zeroTeamData();
    assert.throws(() => decodeTeamBillingAccount(data.subarray(0, data.length - 1)), new RegExp(`${data.length - 1} bytes, expected ${data.length}`));
    assert.throws(() => decodeTeamBillingAccount(data.subarray(0, 4)), /discriminator/);
    const badBool = Buffer.from(data);
    badBool[8 + 64 + 112 + 3] = 2; // base_fee_paid
    assert.throws(() => decodeTeamBillingAccount(badBool), /invalid bool 2/);
  });
});
