"use client";
// Switches to another of the wallet's teams, staying on the same section when it can.
import { usePathname, useRouter } from "next/navigation";

export interface SwitcherTeam {
  teamId: string;
  name: string;
  role: string;
}

export function TeamSwitcher({ teams, currentTeamId }: { teams: SwitcherTeam[]; currentTeamId: string }) {
  const router = useRouter();
  const pathname = usePathname();
  if (teams.length < 2) return null;
  function switchTo(teamId: string) {
    const prefix = `/teams/${currentTeamId}`;
    const rest = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : "";
    // Detail pages (an invoice) belong to the old team: go to the section's list instead.
    const section = rest.split("/").slice(0, 2).join("/");
    router.push(`/teams/${teamId}${section}`);
  }
  return (
    <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
      <span className="small">Team</span>
      <select aria-label="Switch team" value={currentTeamId} onChange={(e) => switchTo(e.target.value)} data-testid="team-switcher">
        {teams.map((t) => (
          <option key={t.teamId} value={t.teamId}>
            {t.name} ({t.role})
          </option>
        ))}
      </select>
    </label>
  );
}
