import assert from "node:assert/strict";
import { Keypair } from "@solana/web3.js";
import { decodeSession, encodeSession, newSession, readCookie, serializeCookie } from "./session";
import { signToken } from "./signed-token";

const SECRET = "a-test-secret-that-is-long-enough-1234";

describe("session cookie", function () {
  const wallet = Keypair.generate().publicKey.toBase58();

  it("round-trips a session until it expires", function () {
    const s = newSession(wallet, 1000, 3600);
    const token = encodeSession(s, SECRET);
    assert.deepEqual(decodeSession(token, SECRET, 1001), s);
    assert.equal(decodeSession(token, SECRET, 4600), null);
    assert.notEqual(newSession(wallet, 1000, 3600).sid, s.sid);
  });

  it("refuses a forged, altered or foreign-purpose token", function () {
    const s = newSession(wallet, 1000, 3600);
    const token = encodeSession(s, SECRET);
    assert.equal(decodeSession(token, "another-secret-also-long-enough-123456", 1001), null);
    const [payload, mac] = token.split(".");
    const altered = Buffer.from(JSON.stringify({ ...s, wallet: Keypair.generate().publicKey.toBase58() })).toString("base64url");
    assert.equal(decodeSession(`${altered}.${mac}`, SECRET, 1001), null);
    assert.equal(decodeSession(`${payload}.${mac}x`, SECRET, 1001), null);
    assert.equal(decodeSession(`${payload}`, SECRET, 1001), null);
    // A token signed for another purpose (a sign-in challenge) is never a session.
    assert.equal(decodeSession(signToken(s, SECRET, "sign-in-challenge"), SECRET, 1001), null);
    assert.equal(decodeSession(signToken({ ...s, wallet: "not a wallet" }, SECRET, "session"), SECRET, 1001), null);
  });

  it("serializes an HttpOnly, SameSite=Lax cookie and reads it back from a Cookie header", function () {
    const header = serializeCookie("pb_session", "abc.def", { secure: true, maxAge: 60 });
    assert.equal(header, "pb_session=abc.def; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
    assert.equal(serializeCookie("x", "", { secure: false, maxAge: 0 }), "x=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    assert.equal(readCookie("a=1; pb_session=abc.def; b=2", "pb_session"), "abc.def");
    assert.equal(readCookie("a=1", "pb_session"), null);
    assert.equal(readCookie(null, "pb_session"), null);
  });
});
