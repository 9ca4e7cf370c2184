// Sessions and team access for pages (server components). Routes use lib/server/route.ts instead.
import { cookies } from "next/headers";
import { forbidden, notFound, redirect } from "next/navigation";
import { cache } from "react";
import { toAppError } from "../errors";
import { nowSecs } from "../server/route";
import { readTeamFromLedger, requireTeamAccess, type Permission, type TeamAccess } from "./access";
import { sessionSecret } from "./secret";
import { decodeSession, SESSION_COOKIE, type Session } from "./session";

export async function currentSession(): Promise<Session | null> {
  const jar = await cookies();
  return decodeSession(jar.get(SESSION_COOKIE)?.value, sessionSecret(), nowSecs());
}

/** The session, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requirePageSession(returnTo?: string): Promise<Session> {
  const session = await currentSession();
  if (!session) redirect(returnTo ? `/sign-in?next=${encodeURIComponent(returnTo)}` : "/sign-in");
  return session;
}

// One ledger read of the team per request, shared by the layouts and the page (each checks its own permission).
const readTeamOnce = cache(readTeamFromLedger);

/**
 * The team, when the signed-in wallet's role has `permission`. Refusals become the framework's 403 page
 * (`forbidden()`, HTTP 403) and missing teams its 404; other failures (ledger down) are thrown as AppError.
 */
export async function pageTeamAccess(teamId: string, permission: Permission, returnTo?: string): Promise<TeamAccess> {
  const session = await requirePageSession(returnTo ?? `/teams/${teamId}`);
  try {
    return await requireTeamAccess(session.wallet, teamId, permission, readTeamOnce);
  } catch (error) {
    const appError = toAppError(error, "ledger");
    if (appError.code === "forbidden") forbidden();
    if (appError.code === "not_found" || appError.code === "invalid_argument") notFound();
    throw appError;
  }
}
