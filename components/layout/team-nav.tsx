"use client";
// The team's sections. Links the role may not open are left out; each page still checks on the server.
import Link from "next/link";
import { usePathname } from "next/navigation";

export interface NavItem {
  href: string;
  label: string;
}

export function TeamNav({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  // The longest matching prefix is the current section ("/teams/x" must not match "/teams/x/usage").
  const current = items
    .filter((i) => pathname === i.href || pathname.startsWith(`${i.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  return (
    <nav className="team-nav" aria-label="Team sections">
      {items.map((item) => (
        <Link key={item.href} href={item.href} aria-current={item.href === current ? "page" : undefined}>
          {item.label}
        </Link>
      ))}
    </nav>
  );
}
