import { redirect } from "next/navigation";
import { myTeams } from "../lib/auth/access";
import { currentSession } from "../lib/auth/current";

// The entry point: sign in first, then the first team's overview (or the team list to create one).
export default async function Home() {
  const session = await currentSession();
  if (!session) redirect("/sign-in");
  const teams = await myTeams(session.wallet).catch(() => null);
  redirect(teams && teams.length > 0 ? `/teams/${teams[0].teamId}` : "/teams");
}
