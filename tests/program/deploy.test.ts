// The program deployed exactly as on a cluster — InitializeBuffer, Write chunks and DeployWithMaxDataLen
// through the real BPFLoaderUpgradeable — then configured and used end to end.
import assert from "node:assert/strict";
import { PublicKey } from "@solana/web3.js";
import { PROGRAM_ID, Tier, USDC, eventsNamed } from "../../sdk/src";
import { BPF_LOADER_UPGRADEABLE_PROGRAM_ID, advanceClock, programDataAddress } from "../support";
import { assertConserved, createBed, lastEvents } from "./support/bed";
import { expectError } from "./support/expect";

describe("deployment through BPFLoaderUpgradeable", () => {
  it("deploys the program with an upgrade authority and serves a team from opening to closing", async () => {
    const bed = await createBed({ upgradeable: true });
    assert.ok(bed.programId.equals(PROGRAM_ID), "deployed at the IDL's address");
    const program = await bed.outsider.connection.getAccountInfo(bed.programId);
    assert.ok(program?.executable);
    assert.ok(program.owner.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID));
    // Program account: tag 2 (Program) and the ProgramData address.
    assert.equal(program.data.readUInt32LE(0), 2);
    const programData = programDataAddress(bed.programId);
    assert.ok(new PublicKey(program.data.subarray(4, 36)).equals(programData));
    const data = await bed.outsider.connection.getAccountInfo(programData);
    assert.ok(data);
    // ProgramData: tag 3, deploy slot, Some(upgrade authority = the deployer).
    assert.equal(data.data.readUInt32LE(0), 3);
    assert.equal(data.data[12], 1);
    assert.ok(new PublicKey(data.data.subarray(13, 45)).equals(bed.admin.publicKey));

    const t = await bed.createTeam({ tier: Tier.Startup, deposit: 100n * USDC });
    await assertConserved(bed, "opened");
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    assert.deepEqual(eventsNamed(lastEvents(bed.provider, bed.programId), "RevenueDistributed").map((r) => [r.treasuryAmount, r.stakerAmount]), [[45n * USDC, 5n * USDC]]);
    await assertConserved(bed, "rolled");
    await bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 11_000n, usageRoot: new Uint8Array(32) });
    await expectError(bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 11_000n, usageRoot: new Uint8Array(32) }), "BatchAlreadySettled", bed.provider);
    await assertConserved(bed, "usage");
    await bed.client.requestWithdrawal({ owner: t.owner, amount: 40n * USDC });
    advanceClock(bed.svm, bed.config.withdrawalNoticeSecs);
    await bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken });
    await assertConserved(bed, "withdrawn");
    assert.equal(await bed.balance(t.vault), 0n);
    assert.equal(await bed.balance(bed.treasury), 45n * USDC);
    assert.equal(await bed.balance(bed.stakerPool), 15n * USDC);
    await bed.client.closeTeamAccount({ owner: t.owner });
    await assertConserved(bed, "closed");
    assert.equal(await bed.balance(t.ownerToken), 940n * USDC);
  });
});
