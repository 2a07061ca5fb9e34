import type { Metadata } from "next";
import Link from "next/link";
import { BookingsList } from "~/components/bookings/bookings-list";

export const metadata: Metadata = { title: "Bookings" };

export default function BookingsPage() {
  return (
    <main className="page">
      <h1>Bookings</h1>
      <p className="lead">
        Your hospital appointments, and which of your <Link href="/dashboard/tokens">API tokens</Link> made each one.
      </p>
      <BookingsList />
    </main>
  );
}
