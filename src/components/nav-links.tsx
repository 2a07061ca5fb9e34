"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/dashboard/tokens", label: "API tokens" },
  { href: "/dashboard/bookings", label: "Bookings" },
  { href: "/dashboard/activity", label: "Activity" },
  { href: "/settings", label: "Settings" },
];

/** The dashboard's sections, the current one marked for screen readers (aria-current) and by sight. */
export function DashboardNavLinks() {
  const pathname = usePathname();
  return LINKS.map(({ href, label }) => {
    const current = pathname === href || pathname.startsWith(`${href}/`);
    return (
      <Link key={href} href={href} aria-current={current ? "page" : undefined}>
        {label}
      </Link>
    );
  });
}
