import { redirect } from "next/navigation";

// /dashboard has no page of its own: the tokens page is where the dashboard starts (and where sign-in lands).
export default function DashboardIndex() {
  redirect("/dashboard/tokens");
}
