import type { ReactNode } from "react";
import DashboardLayout from "~/app/dashboard/layout";

// Settings are part of the signed-in area: the same session check, header and banner as the dashboard.
export default function SettingsLayout({ children }: { children: ReactNode }) {
  return <DashboardLayout>{children}</DashboardLayout>;
}
