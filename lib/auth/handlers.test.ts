import "../testing/env";
import assert from "node:assert/strict";
import { Keypair } from "@solana/web3.js";
import { request, setCookies, signText } from "../testing/requests";
import { route } from "../server/route";
import { getSession, postChallenge, postSignOut, postVerify } from "./handlers";

const challenge = route(postChallenge);
const verify = route(postVerify);
const session = route(getSession);
const signOut = route(postSignOut);
const ctx = { params: Promise.resolve({}) };

async function body(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>;
}

/** Runs challenge → signature → verify for `kp`; returns the verify response and the challenge cookie. */
async function signIn(kp: Keypair, signer: Keypair = kp) {
  const res = await challenge(request("/api/auth/challenge", { body: { wallet: kp.publicKey.toBase58() } }), ctx);
  assert.equal(res.status, 200);
  const { message } = await body(res);
  const challengeCookie = setCookies(res).pb_challenge.value;
  const signature = signText(signer, message);
  const verified = await verify(request("/api/auth/verify", { body: { signature }, cookies: { pb_challenge: challengeCookie } }), ctx);
  return { verified, challengeCookie, signature, message: message as string };
}

describe("sign-in routes", function () {
  it("exchanges a signed challenge for an HttpOnly session cookie that names the wallet", async function () {
    const kp = Keypair.generate();
    const { verified, message } = await signIn(kp);
    assert.ok(message.includes(kp.publicKey.toBase58()));
    assert.equal(verified.status, 200);
    assert.equal((await body(verified)).wallet, kp.publicKey.toBase58());
    const cookies = setCookies(verified);
    assert.match(cookies.pb_session.header, /HttpOnly; SameSite=Lax/);
    assert.match(cookies.pb_challenge.header, /Max-Age=0/);
    const me = await session(request("/api/auth/session", { cookies: { pb_session: cookies.pb_session.value } }), ctx);
    assert.equal(me.status, 200);
    assert.equal((await body(me)).wallet, kp.publicKey.toBase58());
  });

  it("refuses a signature by another key with 401", async function () {
    const { verified } = await signIn(Keypair.generate(), Keypair.generate());
    assert.equal(verified.status, 401);
    assert.equal((await body(verified)).error.detail, "bad_signature");
  });

  it("refuses a replayed challenge and signature with 401", async function () {
    const kp = Keypair.generate();
    const { verified, challengeCookie, signature } = await signIn(kp);
    assert.equal(verified.status, 200);
    const replay = await verify(request("/api/auth/verify", { body: { signature }, cookies: { pb_challenge: challengeCookie } }), ctx);
    assert.equal(replay.status, 401);
    assert.equal((await body(replay)).error.detail, "nonce_reused");
  });

  it("refuses a verify without its challenge cookie, and bad input with 422", async function () {
    const noCookie = await verify(request("/api/auth/verify", { body: { signature: Buffer.alloc(64).toString("base64") } }), ctx);
    assert.equal(noCookie.status, 401);
    const badWallet = await challenge(request("/api/auth/challenge", { body: { wallet: "not-a-wallet" } }), ctx);
    assert.equal(badWallet.status, 422);
    assert.equal((await body(badWallet)).error.code, "invalid_argument");
    const notJson = await challenge(request("/api/auth/challenge", { body: "{oops" }), ctx);
    assert.equal(notJson.status, 422);
    const badSignature = await verify(request("/api/auth/verify", { body: { signature: "abc" } }), ctx);
    assert.equal(badSignature.status, 422);
  });

  it("refuses a sign-in started from another site with 403", async function () {
    const res = await challenge(
      request("/api/auth/challenge", { body: { wallet: Keypair.generate().publicKey.toBase58() }, origin: "http://evil.example" }),
      ctx,
    );
    assert.equal(res.status, 403);
    assert.equal((await body(res)).error.detail, "cross_origin");
  });

  it("answers 401 without a session or with a forged one, and clears the cookie on sign-out", async function () {
    assert.equal((await session(request("/api/auth/session"), ctx)).status, 401);
    assert.equal((await session(request("/api/auth/session", { cookies: { pb_session: "e30.AAAA" } }), ctx)).status, 401);
    const out = await signOut(request("/api/auth/sign-out", { body: {} }), ctx);
    assert.equal(out.status, 200);
    assert.match(setCookies(out).pb_session.header, /Max-Age=0/);
  });
});
