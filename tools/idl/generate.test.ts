import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BN, BorshCoder, type Idl } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import { generatedFiles, layoutRs, staleFiles, type IdlSource } from "./generate";

const root = path.resolve(__dirname, "..", "..");
const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
const source = JSON.parse(read("programs/prepaid_billing/idl/prepaid_billing.source.json")) as IdlSource;
const idl = JSON.parse(read("sdk/src/generated/prepaid_billing.json")) as Idl;
const interfaceRs = read("programs/prepaid_billing/src/generated/interface.rs");
const layout = read("programs/prepaid_billing/src/generated/layout.rs");
const coder = new BorshCoder(idl);

type IdlType = IdlSource["types"][number]["type"]["fields"][number]["type"];

function screamingSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function rustConst(text: string, name: string): number {
  const m = new RegExp(`pub const ${name}: usize = (\\d+);`).exec(text);
  assert.ok(m, `${name} not found`);
  return Number(m[1]);
}

/** `MAX_LEN` of the generated `impl Borsh for <name>` (top-level types only). */
function rustMaxLen(name: string): number {
  const m = new RegExp(`impl Borsh for ${name} \\{\\n    const MAX_LEN: usize = (\\d+);`).exec(layout);
  assert.ok(m, `impl Borsh for ${name} not found`);
  return Number(m[1]);
}

function rustFields(name: string): string[] {
  const m = new RegExp(`\\npub struct ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(layout);
  assert.ok(m, `struct ${name} not found`);
  return [...m[1].matchAll(/^    pub (\w+):/gm)].map((f) => f[1]);
}

/** A value of `type` in anchor's JS shape with every Option set (the largest encoding). */
function sample(type: IdlType): unknown {
  if (typeof type === "string") {
    if (type === "pubkey") return PublicKey.default;
    if (type === "bool") return true;
    if (type === "u64" || type === "i64") return new BN(1);
    return 1;
  }
  if ("array" in type) return Array.from({ length: type.array[1] }, () => sample(type.array[0]));
  if ("option" in type) return sample(type.option);
  const def = source.types.find((t) => t.name === type.defined.name);
  assert.ok(def, `unknown type ${type.defined.name}`);
  return Object.fromEntries(def.type.fields.map((f) => [f.name, sample(f.type)]));
}

describe("IDL generator", () => {
  it("leaves no committed generated file stale", () => {
    assert.deepEqual(staleFiles(), []);
  });

  it("writes the Rust account sizes anchor computes from the IDL", () => {
    for (const { name } of source.accounts) {
      const withDiscriminator = coder.accounts.size(name);
      assert.equal(rustConst(interfaceRs, `${screamingSnake(name)}_LEN`), withDiscriminator - 8, name);
      assert.equal(rustMaxLen(name), withDiscriminator - 8, name);
      const space = Number(new RegExp(`impl AccountLayout for ${name} \\{\\n    const SPACE: usize = (\\d+);`).exec(layout)?.[1]);
      assert.ok(space >= withDiscriminator && space % 8 === 0 && space - withDiscriminator < 8, `${name} SPACE ${space}`);
    }
  });

  it("writes the Rust sizes of every type as long as anchor's encoding of it", () => {
    for (const t of source.types) {
      const encoded = coder.types.encode(t.name, sample({ defined: { name: t.name } }));
      assert.equal(rustMaxLen(t.name), encoded.length, t.name);
    }
    for (const { name } of source.events) {
      assert.equal(rustConst(interfaceRs, `${screamingSnake(name)}_LEN`), rustMaxLen(name), name);
    }
  });

  it("keeps the IDL field order in every Rust struct", () => {
    for (const t of source.types) {
      assert.deepEqual(rustFields(t.name), t.type.fields.map((f) => f.name), t.name);
    }
  });

  it("derives Anchor's discriminators and error codes", () => {
    const disc = (ns: string, name: string) => `[${Array.from(createHash("sha256").update(`${ns}:${name}`).digest().subarray(0, 8)).join(", ")}]`;
    for (const ix of source.instructions) assert.match(interfaceRs, new RegExp(`${ix.name.toUpperCase()}: \\[u8; 8\\] = \\${disc("global", ix.name)}`));
    for (const a of source.accounts) assert.match(interfaceRs, new RegExp(`${screamingSnake(a.name)}: \\[u8; 8\\] = \\${disc("account", a.name)}`));
    for (const e of source.events) assert.match(interfaceRs, new RegExp(`${screamingSnake(e.name)}: \\[u8; 8\\] = \\${disc("event", e.name)}`));
    for (const e of source.errors) assert.ok(interfaceRs.includes(`    ${e.name} = ${e.code},`), e.name);
  });

  it("places every account integer at an offset aligned to its size", () => {
    for (const m of layout.matchAll(/aligned::(?:put_)?(u16|u32|u64|i64)(?:_at)?::<\d+, (\d+)>/g)) {
      const size = m[1] === "u16" ? 2 : m[1] === "u32" ? 4 : 8;
      assert.equal(Number(m[2]) % size, 0, m[0]);
    }
  });

  it("refuses to generate an account layout with a misaligned integer", () => {
    const broken = structuredClone(source);
    const team = broken.types.find((t) => t.name === "TeamBillingAccount");
    assert.ok(team);
    const tier = team.type.fields.findIndex((f) => f.name === "tier");
    const [field] = team.type.fields.splice(tier, 1);
    team.type.fields.splice(2, 0, field);
    assert.throws(() => layoutRs(broken), /not aligned/);
  });

  it("lists the generated files it writes", () => {
    assert.deepEqual(
      generatedFiles().map((f) => f.path),
      [
        "sdk/src/generated/prepaid_billing.json",
        "sdk/src/generated/prepaid_billing.ts",
        "programs/prepaid_billing/src/generated/interface.rs",
        "programs/prepaid_billing/src/generated/layout.rs",
        "target/idl/prepaid_billing.json",
        "target/types/prepaid_billing.ts",
      ],
    );
  });
});
