import type { ReactNode } from "react";
import { pageTeamAccess } from "../../../../../lib/auth/current";

// Usage, billing history and invoices are for Owners and Admins ("view usage"). Checked here, above the
// pages' loading skeletons, so a refusal is answered with HTTP 403 before anything is streamed.
export default async function BillingSectionLayout({ children, params }: { children: ReactNode; params: Promise<{ teamId: string }> }) {
  const { teamId } = await params;
  await pageTeamAccess(teamId, "viewUsage");
  return children;
}
