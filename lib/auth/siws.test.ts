import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519";
import { Keypair } from "@solana/web3.js";
import { AppError } from "../errors";
import {
  challengeMessage,
  CHALLENGE_TTL_SECS,
  decodeChallenge,
  decodeSignature,
  encodeChallenge,
  newChallenge,
  requireWalletAddress,
  UsedNonces,
  verifyChallengeSignature,
} from "./siws";

const SECRET = "a-test-secret-that-is-long-enough-1234";

function sign(kp: Keypair, message: string): Uint8Array {
  return ed25519.sign(new TextEncoder().encode(message), kp.secretKey.slice(0, 32));
}

describe("sign-in challenge", function () {
  const kp = Keypair.generate();
  const base = { domain: "127.0.0.1:3000", uri: "http://127.0.0.1:3000", wallet: kp.publicKey.toBase58(), chainId: "localnet", nowSecs: 1_800_000_000 };

  it("builds a Sign-In With Solana style message naming the domain, wallet, nonce and times", function () {
    const c = newChallenge(base);
    const text = challengeMessage(c);
    assert.match(text, /^127\.0\.0\.1:3000 wants you to sign in with your Solana account:\n/);
    assert.ok(text.includes(`\n${kp.publicKey.toBase58()}\n`));
    assert.ok(text.includes(`Nonce: ${c.nonce}`));
    assert.ok(text.includes("Chain ID: localnet"));
    assert.equal(c.expiresAt - c.issuedAt, CHALLENGE_TTL_SECS);
    assert.notEqual(newChallenge(base).nonce, c.nonce);
  });

  it("accepts the wallet's own ed25519 signature of the message and nothing else", function () {
    const c = newChallenge(base);
    assert.equal(verifyChallengeSignature(c, sign(kp, challengeMessage(c))), true);
    assert.equal(verifyChallengeSignature(c, sign(Keypair.generate(), challengeMessage(c))), false);
    assert.equal(verifyChallengeSignature({ ...c, nonce: "other" }, sign(kp, challengeMessage(c))), false);
    assert.equal(verifyChallengeSignature(c, new Uint8Array(64)), false);
  });

  it("round-trips a challenge through its signed cookie and refuses an altered or expired one", function () {
    const c = newChallenge(base);
    const token = encodeChallenge(c, SECRET);
    assert.deepEqual(decodeChallenge(token, SECRET, base.nowSecs + 10), c);
    const tampered = encodeChallenge({ ...c, wallet: Keypair.generate().publicKey.toBase58() }, "another-secret-also-long-enough-123456");
    assert.throws(() => decodeChallenge(tampered, SECRET, base.nowSecs), (e: AppError) => e.code === "unauthorized" && e.detail === "challenge_missing");
    assert.throws(() => decodeChallenge(null, SECRET, base.nowSecs), (e: AppError) => e.status === 401);
    assert.throws(() => decodeChallenge(token, SECRET, c.expiresAt), (e: AppError) => e.code === "expired" && e.status === 410);
  });

  it("decodes 64-byte base64 signatures and refuses anything else with 422", function () {
    const sig = new Uint8Array(64).fill(7);
    assert.deepEqual(decodeSignature(Buffer.from(sig).toString("base64")), sig);
    for (const bad of [undefined, "", "!!!!", Buffer.alloc(63).toString("base64"), 42]) {
      assert.throws(() => decodeSignature(bad), (e: AppError) => e.status === 422);
    }
  });

  it("accepts base58 wallet addresses and refuses other text", function () {
    const address = Keypair.generate().publicKey.toBase58();
    assert.equal(requireWalletAddress(address), address);
    for (const bad of ["", "0OIl", "x".repeat(50), null, 12]) {
      assert.throws(() => requireWalletAddress(bad), (e: AppError) => e.code === "invalid_argument");
    }
  });

  it("lets each nonce be exchanged once until its challenge expires", function () {
    const used = new UsedNonces();
    assert.equal(used.claim("n1", 100, 50), true);
    assert.equal(used.claim("n1", 100, 60), false);
    assert.equal(used.claim("n2", 100, 60), true);
    // Expired entries are forgotten (their challenge cookie can no longer be used anyway).
    assert.equal(used.claim("n3", 300, 150), true);
    assert.equal(used.size, 1);
  });
});
