// The identity a request carries in `Authorization: Bearer <JWT>`, passed to the functions as
// `ctx.auth.getUserIdentity()`. The embedded engine listens on 127.0.0.1 only and does not verify
// signatures (a Convex deployment does, against its auth config); the ledger's access control
// rests on the server secret in the arguments, not on this identity.
import type { UserIdentity } from "convex/server";

/** JWT claim → UserIdentity attribute, as documented on `UserIdentity`. */
const ATTRIBUTE_BY_CLAIM: Record<string, string> = {
  sub: "subject",
  iss: "issuer",
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};

/** Registered claims with no UserIdentity attribute. */
const DROPPED_CLAIMS = new Set(["aud", "exp", "iat", "nbf", "jti"]);

export class BadTokenError extends Error {}

/**
 * The identity of an `Authorization` header value: undefined without a header, throws
 * BadTokenError for anything other than a well-formed Bearer JWT with `sub` and `iss`.
 */
export function identityFromAuthorization(header: string | undefined): Partial<UserIdentity> | undefined {
  if (header === undefined || header === "") return undefined;
  const match = /^Bearer\s+(\S+)$/.exec(header);
  if (match === null) throw new BadTokenError("the Authorization header must be `Bearer <JWT>`");
  const parts = match[1].split(".");
  if (parts.length !== 3) throw new BadTokenError("the bearer token is not a JWT");
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new BadTokenError("the JWT payload is not JSON");
  }
  if (typeof claims.sub !== "string" || typeof claims.iss !== "string") {
    throw new BadTokenError("the JWT needs string `sub` and `iss` claims");
  }
  const identity: Record<string, unknown> = { tokenIdentifier: `${claims.iss}|${claims.sub}` };
  for (const [claim, value] of Object.entries(claims)) {
    if (DROPPED_CLAIMS.has(claim)) continue;
    identity[ATTRIBUTE_BY_CLAIM[claim] ?? claim] = value;
  }
  return identity as Partial<UserIdentity>;
}
