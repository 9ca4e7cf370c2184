// Sign-in routes: challenge (nonce), verify (signature → session cookie), sign-out, and who am I.
import { serverEnv } from "../env";
import { AppError } from "../errors";
import { json, nowSecs, readJson, requestHost, requestOrigin, requireSameOrigin, secureCookies, sessionOf } from "../server/route";
import { sessionSecret } from "./secret";
import { encodeSession, newSession, serializeCookie, SESSION_COOKIE, readCookie } from "./session";
import {
  challengeMessage,
  CHALLENGE_COOKIE,
  CHALLENGE_TTL_SECS,
  decodeChallenge,
  decodeSignature,
  encodeChallenge,
  newChallenge,
  requireWalletAddress,
  UsedNonces,
  verifyChallengeSignature,
} from "./siws";

const usedNonces = new UsedNonces();

/** POST {wallet} → {message, expiresAt}; the challenge itself travels in an HttpOnly cookie. */
export async function postChallenge(req: Request): Promise<Response> {
  requireSameOrigin(req);
  const body = await readJson(req);
  const wallet = requireWalletAddress(body.wallet);
  const challenge = newChallenge({
    domain: requestHost(req),
    uri: requestOrigin(req),
    wallet,
    chainId: serverEnv().cluster,
    nowSecs: nowSecs(),
  });
  const cookie = serializeCookie(CHALLENGE_COOKIE, encodeChallenge(challenge, sessionSecret()), {
    secure: secureCookies(req),
    maxAge: CHALLENGE_TTL_SECS,
  });
  return json({ message: challengeMessage(challenge), expiresAt: challenge.expiresAt }, 200, { "set-cookie": cookie });
}

/** POST {signature: base64} → session cookie; the message signed is rebuilt from the challenge cookie. */
export async function postVerify(req: Request): Promise<Response> {
  requireSameOrigin(req);
  const body = await readJson(req);
  const signature = decodeSignature(body.signature);
  const now = nowSecs();
  const challenge = decodeChallenge(readCookie(req.headers.get("cookie"), CHALLENGE_COOKIE), sessionSecret(), now);
  if (challenge.domain !== requestHost(req)) {
    throw new AppError("unauthorized", "This sign-in request was made for another address. Please sign in again.", "domain_mismatch");
  }
  if (!verifyChallengeSignature(challenge, signature)) {
    throw new AppError("unauthorized", "The signature does not match your wallet. Please sign in again.", "bad_signature");
  }
  if (!usedNonces.claim(challenge.nonce, challenge.expiresAt, now)) {
    throw new AppError("unauthorized", "This sign-in request was already used. Please sign in again.", "nonce_reused");
  }
  const env = serverEnv();
  const session = newSession(challenge.wallet, now, env.sessionTtlSecs);
  const secure = secureCookies(req);
  const headers = new Headers();
  headers.append("set-cookie", serializeCookie(SESSION_COOKIE, encodeSession(session, sessionSecret()), { secure, maxAge: env.sessionTtlSecs }));
  headers.append("set-cookie", serializeCookie(CHALLENGE_COOKIE, "", { secure, maxAge: 0 }));
  return json({ wallet: session.wallet, expiresAt: session.exp }, 200, headers);
}

/** POST → the session cookie is cleared. */
export async function postSignOut(req: Request): Promise<Response> {
  requireSameOrigin(req);
  return json({ signedOut: true }, 200, { "set-cookie": serializeCookie(SESSION_COOKIE, "", { secure: secureCookies(req), maxAge: 0 }) });
}

/** GET → {wallet, expiresAt} or 401. */
export async function getSession(req: Request): Promise<Response> {
  const session = sessionOf(req);
  if (!session) throw new AppError("unauthorized");
  return json({ wallet: session.wallet, expiresAt: session.exp });
}
