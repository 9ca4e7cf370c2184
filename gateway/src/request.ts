// Reading the gate's inputs from request headers, whatever the framework's header type.

/** Returns a header's value by (case-insensitive) name, or null/undefined when absent. */
export type HeaderGetter = (name: string) => string | null | undefined;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The API key from `Authorization: Bearer <key>` or, failing that, `X-API-Key`; null when neither. */
export function apiKeyFrom(get: HeaderGetter): string | null {
  const auth = get("authorization");
  if (auth) {
    const m = BEARER.exec(auth);
    if (m) return m[1]!;
  }
  const k = get("x-api-key")?.trim();
  return k ? k : null;
}

/** The member id from `X-User-ID`; null when absent or blank (the request is then unattributed). */
export function userIdFrom(get: HeaderGetter): string | null {
  const u = get("x-user-id")?.trim();
  return u ? u : null;
}
