import assert from "node:assert/strict";
import { AnchorError, BN } from "@coral-xyz/anchor";
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair } from "@solana/web3.js";
import { DEFAULT_TIERS, USDC, isProgramError } from "../../sdk/src";
import { BPF_LOADER_UPGRADEABLE_PROGRAM_ID, DEFAULT_START_TIME, initializeDeployment, now, programDataAddress } from "./index";

describe("deployment fixture", () => {
  it("deploys the program through BPFLoaderUpgradeable and initialises the config with the default tiers", async () => {
    const d = await initializeDeployment({ upgradeable: true });
    const program = await d.provider.connection.getAccountInfo(d.programId);
    assert.ok(program?.executable);
    assert.ok(program.owner.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID));
    const programData = await d.provider.connection.getAccountInfo(programDataAddress(d.programId));
    assert.ok(programData);
    // ProgramData: tag 3, slot u64, Some(upgrade authority).
    assert.equal(programData.data.readUInt32LE(0), 3);
    assert.equal(programData.data[12], 1);
    assert.ok(programData.data.subarray(13, 45).equals(d.admin.publicKey.toBuffer()));
    assert.deepEqual(d.config.tiers, DEFAULT_TIERS.map((t) => ({ ...t })));
    assert.ok(d.config.billingAuthority.equals(d.billingAuthority.publicKey));
    assert.ok(d.config.treasury.equals(d.treasury));
    assert.equal(now(d.svm), DEFAULT_START_TIME);
  });

  it("loads the program directly, opens a funded team and reads its state back", async () => {
    const d = await initializeDeployment();
    const t = await d.createTeam({ tier: 1, walletUsdc: 300n * USDC, deposit: 250n * USDC });
    assert.equal(await d.balance(t.vault), 250n * USDC);
    assert.equal(await d.balance(t.ownerToken), 50n * USDC);
    const team = await d.team(t.owner.publicKey);
    assert.equal(team.tier, 1);
    assert.equal(team.totalDeposited, 250n * USDC);
    assert.equal(team.periodStart, DEFAULT_START_TIME);
    assert.equal(team.periodEnd, DEFAULT_START_TIME + d.config.periodSecs);
    assert.equal(await d.client.vaultBalance(t.owner.publicKey), 250n * USDC);
  });

  it("surfaces the program's errors as anchor AnchorError through program.methods.rpc()", async () => {
    const d = await initializeDeployment();
    const t = await d.createTeam({ deposit: 10n * USDC });
    const intruder = Keypair.generate();
    const err = await d.client.program.methods
      .deductUsage(new BN(1), new BN(10_001), Array<number>(32).fill(0))
      .accountsStrict({ billingAuthority: intruder.publicKey, config: d.client.configAddress, team: t.team, vault: t.vault, treasury: d.treasury, stakerPool: d.stakerPool, tokenProgram: TOKEN_PROGRAM_ID })
      .signers([intruder])
      .rpc()
      .catch((e: unknown) => e);
    assert.ok(err instanceof AnchorError, String(err));
    assert.equal(err.error.errorCode.code, "Unauthorized");
    assert.equal(err.error.errorCode.number, 6000);
    assert.ok(isProgramError(err, "Unauthorized"));
    assert.equal(d.provider.lastTransaction?.customErrorCode, 6000);
  });
});
