import assert from "node:assert/strict";
import { Keypair, PublicKey } from "@solana/web3.js";
import { CONFIG_SEED, IDL_JSON, PROGRAM_ID, TEAM_SEED, VAULT_SEED, configPda, teamPda, vaultPda } from "../src";

function idlConstSeed(instruction: string, account: string): string {
  const ix = IDL_JSON.instructions.find((i) => i.name === instruction);
  const acc = ix?.accounts.find((a) => a.name === account) as { pda?: { seeds: { kind: string; value?: number[] }[] } } | undefined;
  const seed = acc?.pda?.seeds[0];
  assert.ok(seed?.value, `${instruction}.${account} has a const seed in the IDL`);
  return Buffer.from(seed.value).toString("utf8");
}

describe("PDAs", () => {
  const owner = new PublicKey("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin");

  it("uses the seeds the IDL declares", () => {
    assert.equal(idlConstSeed("create_team_account", "config"), CONFIG_SEED);
    assert.equal(idlConstSeed("create_team_account", "team"), TEAM_SEED);
    assert.equal(idlConstSeed("create_team_account", "vault"), VAULT_SEED);
  });

  it("derives config, team and vault addresses from the program id", () => {
    const [config, configBump] = PublicKey.findProgramAddressSync([Buffer.from("config")], PROGRAM_ID);
    assert.ok(configPda().address.equals(config));
    assert.equal(configPda().bump, configBump);
    const [team] = PublicKey.findProgramAddressSync([Buffer.from("team_billing"), owner.toBuffer()], PROGRAM_ID);
    const [vault] = PublicKey.findProgramAddressSync([Buffer.from("team_usdc"), owner.toBuffer()], PROGRAM_ID);
    assert.ok(teamPda(owner).address.equals(team));
    assert.ok(vaultPda(owner).address.equals(vault));
    assert.ok(!team.equals(vault));
  });

  it("gives each owner and each program its own addresses", () => {
    const other = Keypair.generate().publicKey;
    assert.ok(!teamPda(owner).address.equals(teamPda(other).address));
    const programId = Keypair.generate().publicKey;
    assert.ok(!configPda(programId).address.equals(configPda().address));
    assert.ok(!teamPda(owner, programId).address.equals(teamPda(owner).address));
  });

  it("returns the cached derivation on repeated calls", () => {
    assert.equal(teamPda(owner), teamPda(owner));
    assert.ok(PublicKey.isOnCurve(owner.toBytes()));
    assert.ok(!PublicKey.isOnCurve(teamPda(owner).address.toBytes()));
  });
});
