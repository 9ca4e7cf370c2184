import type { Metadata } from "next";
import { AcceptInvite } from "../../../../components/team/accept-invite";
import { requirePageSession } from "../../../../lib/auth/current";

export const metadata: Metadata = { title: "Join a team" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  // Signing in first brings the visitor back here.
  await requirePageSession(`/invite/${encodeURIComponent(token)}`);
  return <AcceptInvite token={decodeURIComponent(token)} />;
}
