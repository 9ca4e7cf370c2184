import type { ReactNode } from "react";
import { pageTeamAccess } from "../../../../../lib/auth/current";

// Members, invitations and API keys are for Owners and Admins. Checked here, above the pages' loading
// skeletons, so a refusal is answered with HTTP 403 before anything is streamed.
export default async function AdministrationSectionLayout({ children, params }: { children: ReactNode; params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await pageTeamAccess(teamId, "viewTeamAdmin");
  return children;
}
