// Reading the gate's inputs from request headers, whatever the framework's header type.

/** Returns a header's value by (case-insensitive) name, or null/undefined when absent. */
export type HeaderGetter = (name: string) => string | null | undefined;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The API key from `Authorization: Bearer <key>` or, failing that, `X-API-Key`; null when neither. */
export function apiKeyFrom(get: HeaderGetter): string | null {
  return apiKeyFromValues(get("authorization"), get("x-api-key"));
}

/** apiKeyFrom given the two headers' values (for callers holding the headers already). */
export function apiKeyFromValues(authorization: string | null | undefined, xApiKey: string | null | undefined): string | null {
  if (authorization) {
    const m = BEARER.exec(authorization);
    if (m) return m[1]!;
  }
  const k = xApiKey?.trim();
  return k ? k : null;
}

/** The member id from `X-User-ID`; null when absent or blank (the request is then unattributed). */
export function userIdFrom(get: HeaderGetter): string | null {
  return userIdFromValue(get("x-user-id"));
}

/** userIdFrom given the header's value. */
export function userIdFromValue(xUserId: string | null | undefined): string | null {
  const u = xUserId?.trim();
  return u ? u : null;
}
