// The team sections each role may open (the role table, via roleAllows).
import { roleAllows, type Role } from "../auth/access";

export function teamNavItems(teamId: string, role: Role): { href: string; label: string }[] {
  const base = `/teams/${teamId}`;
  const items = [{ href: base, label: "Overview" }];
  if (roleAllows(role, "viewUsage")) {
    items.push({ href: `${base}/usage`, label: "Usage" }, { href: `${base}/history`, label: "Billing history" }, { href: `${base}/invoices`, label: "Invoices" });
  }
  if (roleAllows(role, "viewTeamAdmin")) {
    items.push({ href: `${base}/members`, label: "Team" }, { href: `${base}/keys`, label: "API keys" });
  }
  return items;
}
