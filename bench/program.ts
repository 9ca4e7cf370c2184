// `npm run bench:program`: compute units per instruction of prepaid_billing in the real SVM, and how many
// teams' `deduct_usage` a settler fits in one transaction: legacy (1232-byte packet) and v0 with an
// address lookup table. Every count is checked by serializing the transaction and then executing it.
// Last line: {"cu":{…},"teams_per_tx_legacy":N,"teams_per_tx_alt":N}.
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import {
  AddressLookupTableAccount,
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Keypair,
  PACKET_DATA_SIZE,
  PublicKey,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import {
  DEFAULT_TIERS,
  Tier,
  USDC,
  eventsNamed,
  parseEvents,
  usageRoot,
  type EventName,
  type UsageBatch,
} from "../sdk/src";
import { advanceClock, initializeDeployment, type Deployment, type TeamFixture } from "../tests/support";

/** Teams prepared for the packing measurements: more than any transaction can hold. */
const TEAM_POOL = 40;
/** Requests per batch: one beyond the Startup quota, so every batch charges (and transfers) 0.01 USDC. */
const REQUESTS_PER_BATCH = DEFAULT_TIERS[Tier.Startup].includedRequests + 1n;
/** What a settler adds to each transaction: a compute-unit limit and a priority fee (micro-lamports per CU). */
const CU_LIMIT_PER_TEAM = 40_000;
const PRIORITY_MICRO_LAMPORTS = 1_000;

type CuName = "create_team_account" | "deposit_funds" | "deduct_usage" | "roll_period" | "withdraw_unused";

/** Compute units of the last transaction, after checking it did its work: it emitted `event`. */
function lastCu(d: Deployment, event: EventName): number {
  const last = d.provider.lastTransaction;
  if (!last || last.error) throw new Error(`last transaction failed: ${last?.error}`);
  if (!parseEvents(last.logs, d.programId).some((e) => e.name === event)) {
    throw new Error(`the measured transaction emitted no ${event}: it did not do its work (${last.computeUnits} CU)\n${last.logs.join("\n")}`);
  }
  return last.computeUnits;
}

async function measureInstructions(d: Deployment): Promise<Record<CuName, number>> {
  const owner = Keypair.generate();
  d.provider.airdrop(owner.publicKey, 10_000_000_000n);
  const ownerToken = await d.fundWallet(owner.publicKey, 200n * USDC);
  const teamOwner = owner.publicKey;

  await d.client.createTeamAccount({ owner, tier: Tier.Startup, usdcMint: d.usdcMint });
  const create_team_account = lastCu(d, "TeamAccountCreated");
  await d.client.depositFunds({ depositor: owner, depositorToken: ownerToken, teamOwner, amount: 100n * USDC });
  const deposit_funds = lastCu(d, "FundsDeposited");
  await d.client.rollPeriod({ teamOwner, settlement: d.settlement }); // base fee: two transfers (treasury, stakers)
  const roll_period = lastCu(d, "PeriodRolled");
  const root = usageRoot([{ team: d.client.teamAddress(teamOwner).toBase58(), batchSeq: 1n, requestId: "r0", timestampMs: 1n, endpoint: "/bench", userId: "u", units: REQUESTS_PER_BATCH, cost: 10_000n }]);
  await d.client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner, batchSeq: 1n, requestCount: REQUESTS_PER_BATCH, usageRoot: root, settlement: d.settlement });
  const deduct_usage = lastCu(d, "UsageDeducted");
  await d.client.requestWithdrawal({ owner, amount: 10n * USDC });
  advanceClock(d.svm, d.config.withdrawalNoticeSecs);
  await d.client.withdrawUnused({ owner, ownerToken });
  const withdraw_unused = lastCu(d, "FundsWithdrawn");
  return { create_team_account, deposit_funds, deduct_usage, roll_period, withdraw_unused };
}

/**
 * Settler instructions for the first `count` teams: compute budget, then one deduct_usage per team. Batch 1
 * counts REQUESTS_PER_BATCH requests (one beyond the quota); later batches count 1 request, again beyond
 * the quota: each batch charges 0.01 USDC and so transfers from the vault.
 */
async function settlerInstructions(d: Deployment, teams: TeamFixture[], count: number, batchSeq: bigint): Promise<TransactionInstruction[]> {
  const requestCount = batchSeq === 1n ? REQUESTS_PER_BATCH : 1n;
  const batches: UsageBatch[] = teams.slice(0, count).map((t, i) => ({
    teamOwner: t.owner.publicKey,
    batchSeq,
    requestCount,
    usageRoot: usageRoot([{ team: t.team.toBase58(), batchSeq, requestId: `r${i}`, timestampMs: 1n, endpoint: "/bench", userId: "u", units: requestCount, cost: 10_000n }]),
  }));
  return [
    ComputeBudgetProgram.setComputeUnitLimit({ units: Math.min(1_400_000, CU_LIMIT_PER_TEAM * count) }),
    ComputeBudgetProgram.setComputeUnitPrice({ microLamports: PRIORITY_MICRO_LAMPORTS }),
    ...(await d.client.deductUsageIxs(d.billingAuthority, batches, d.settlement)),
  ];
}

/** Serialized size of a legacy transaction, or null when it does not even serialize (too large). */
function legacySize(d: Deployment, ixs: TransactionInstruction[]): number | null {
  const tx = new Transaction({ feePayer: d.billingAuthority.publicKey, recentBlockhash: d.svm.latestBlockhash() }).add(...ixs);
  try {
    tx.sign(d.billingAuthority);
    return tx.serialize().length;
  } catch {
    return null;
  }
}

function v0Transaction(d: Deployment, ixs: TransactionInstruction[], table: AddressLookupTableAccount): VersionedTransaction {
  const message = new TransactionMessage({ payerKey: d.billingAuthority.publicKey, recentBlockhash: d.svm.latestBlockhash(), instructions: ixs }).compileToV0Message([table]);
  const tx = new VersionedTransaction(message);
  tx.sign([d.billingAuthority]);
  return tx;
}

function v0Size(d: Deployment, ixs: TransactionInstruction[], table: AddressLookupTableAccount): number | null {
  try {
    return v0Transaction(d, ixs, table).serialize().length;
  } catch {
    return null;
  }
}

/** Largest team count whose transaction serializes within the packet limit. */
async function maxTeams(d: Deployment, teams: TeamFixture[], batchSeq: bigint, size: (ixs: TransactionInstruction[]) => number | null): Promise<{ count: number; bytes: number }> {
  let best = { count: 0, bytes: 0 };
  for (let count = 1; count <= teams.length; count++) {
    const bytes = size(await settlerInstructions(d, teams, count, batchSeq));
    if (bytes === null || bytes > PACKET_DATA_SIZE) break;
    best = { count, bytes };
  }
  if (best.count === teams.length) throw new Error(`all ${teams.length} prepared teams fit: prepare more`);
  return best;
}

/** Executes the settlement and checks every team was charged exactly once for this batch. */
async function settleAndCheck(d: Deployment, teams: TeamFixture[], count: number, batchSeq: bigint, send: (ixs: TransactionInstruction[]) => Promise<string>): Promise<number> {
  const ixs = await settlerInstructions(d, teams, count, batchSeq);
  await send(ixs);
  const deducted = eventsNamed(parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId), "UsageDeducted");
  if (deducted.length !== count) throw new Error(`expected ${count} UsageDeducted events, got ${deducted.length}`);
  for (const e of deducted) {
    if (e.batchSeq !== batchSeq || e.amountPaid <= 0n) throw new Error(`team ${e.team}: batch ${e.batchSeq} paid ${e.amountPaid}`);
  }
  const states = await d.client.fetchTeams(teams.slice(0, count).map((t) => t.owner.publicKey));
  if (states.some((s) => s?.lastBatchSeq !== batchSeq)) throw new Error("a team's last_batch_seq did not advance");
  return d.provider.lastTransaction?.computeUnits ?? 0;
}

/** A lookup table holding every account the settlement uses except signer and program ids, created and
 *  extended through the real Address Lookup Table program, then activated by moving one slot. */
async function createLookupTable(d: Deployment, teams: TeamFixture[]): Promise<AddressLookupTableAccount> {
  const authority = d.provider.payer;
  const recentSlot = Number(d.svm.getSlotHashes()[0].slot);
  const [createIx, tableAddress] = AddressLookupTableProgram.createLookupTable({ authority: authority.publicKey, payer: authority.publicKey, recentSlot });
  await d.provider.sendAndConfirm(new Transaction().add(createIx));
  // The token program is only invoked through CPI here, so it may come from the table; the program id of a
  // top-level instruction and the signer may not.
  const addresses: PublicKey[] = [d.client.configAddress, d.treasury, d.stakerPool, TOKEN_PROGRAM_ID, ...teams.flatMap((t) => [t.team, t.vault])];
  for (let i = 0; i < addresses.length; i += 20) {
    const extend = AddressLookupTableProgram.extendLookupTable({ lookupTable: tableAddress, authority: authority.publicKey, payer: authority.publicKey, addresses: addresses.slice(i, i + 20) });
    await d.provider.sendAndConfirm(new Transaction().add(extend));
  }
  d.svm.warpToSlot(d.svm.getClock().slot + 1n);
  const table = (await d.provider.connection.getAddressLookupTable(tableAddress)).value;
  if (!table || table.state.addresses.length !== addresses.length) throw new Error("lookup table was not filled");
  return table;
}

async function main(): Promise<void> {
  const d = await initializeDeployment();
  const cu = await measureInstructions(d);
  for (const [name, units] of Object.entries(cu)) console.log(`${name.padEnd(22)} ${String(units).padStart(7)} CU`);

  d.provider.airdrop(d.billingAuthority.publicKey, 10_000_000_000n);
  const teams: TeamFixture[] = [];
  for (let i = 0; i < TEAM_POOL; i++) teams.push(await d.createTeam({ tier: Tier.Startup, walletUsdc: 10n * USDC, deposit: 10n * USDC }));

  const sendLegacy = (ixs: TransactionInstruction[]) => {
    const tx = new Transaction({ feePayer: d.billingAuthority.publicKey }).add(...ixs);
    return d.provider.sendAndConfirm(tx, [d.billingAuthority]);
  };
  const legacy = await maxTeams(d, teams, 1n, (ixs) => legacySize(d, ixs));
  const legacyCu = await settleAndCheck(d, teams, legacy.count, 1n, sendLegacy);
  console.log(`legacy transaction: ${legacy.count} teams, ${legacy.bytes} bytes, ${legacyCu} CU (executed)`);

  const table = await createLookupTable(d, teams);
  const alt = await maxTeams(d, teams, 2n, (ixs) => v0Size(d, ixs, table));
  // Teams past the legacy count have settled no batch yet: give them their batch 1 first, so every team
  // in the v0 transaction settles batch 2.
  const behind = teams.slice(legacy.count, alt.count);
  const catchUp = await d.client.deductUsageIxs(d.billingAuthority, behind.map((t) => ({ teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: REQUESTS_PER_BATCH, usageRoot: new Uint8Array(32) })), d.settlement);
  for (const ix of catchUp) await sendLegacy([ix]);
  const altCu = await settleAndCheck(d, teams, alt.count, 2n, (ixs) => d.provider.sendAndConfirm(v0Transaction(d, ixs, table)));
  console.log(`v0 transaction + lookup table: ${alt.count} teams, ${alt.bytes} bytes, ${altCu} CU (executed)`);

  console.log(JSON.stringify({ cu, teams_per_tx_legacy: legacy.count, teams_per_tx_alt: alt.count }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
