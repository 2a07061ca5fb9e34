import type { Metadata } from "next";
import Link from "next/link";
import { BookingsList } from "~/components/bookings/bookings-list";
import { api, HydrateClient } from "~/trpc/server";

export const metadata: Metadata = { title: "Bookings" };

export default async function BookingsPage() {
  // Awaited so that the first HTML holds the table; on failure the list fetches in the browser and explains.
  await api.bookings.list.prefetch();
  // A server component renders once per request: this is the moment its HTML says which appointments are past.
  // eslint-disable-next-line react-hooks/purity
  const renderedAt = Date.now();
  return (
    <HydrateClient>
      <main id="main" tabIndex={-1} className="page">
        <h1>Bookings</h1>
        <p className="lead">
          Your hospital appointments, and which of your <Link href="/dashboard/tokens">API tokens</Link> made each one.
        </p>
        <BookingsList renderedAt={renderedAt} />
      </main>
    </HydrateClient>
  );
}
