"use client";

import Link from "next/link";
import { useRef, useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { formatAppointment } from "~/components/format";
import { LoadFailure, RequestErrorMessage } from "~/components/request-error";
import { useNowFrom } from "~/components/use-now";
import { api, type RouterOutputs } from "~/trpc/react";
import styles from "./bookings.module.css";

type Booking = RouterOutputs["bookings"]["list"][number];

const STATUS_LABELS: Record<Booking["status"], string> = { confirmed: "Confirmed", cancelled: "Cancelled" };

function isPast(booking: Booking, now: Date): boolean {
  return booking.startsAt.getTime() <= now.getTime();
}

/** `renderedAt`: when the page was rendered on the server (Date.now()), for which appointments are past. */
export function BookingsList({ renderedAt }: { renderedAt: number }) {
  // Prefetched by the page on the server: the first paint already has the rows.
  const bookings = api.bookings.list.useQuery();
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Past or to come as the server saw it, until the page has hydrated: then by this browser's clock.
  const now = useNowFrom(renderedAt, 30_000);

  if (bookings.isPending) {
    return (
      <p role="status" className="muted">
        Loading your bookings…
      </p>
    );
  }
  if (bookings.isError) {
    return <LoadFailure error={bookings.error} attempt="load your bookings" onRetry={() => void bookings.refetch()} retrying={bookings.isFetching} />;
  }
  if (bookings.data.length === 0) {
    return (
      <div className="card">
        <p>
          <strong>No bookings yet.</strong>
        </p>
        <p className="muted">
          Bookings your AI assistant makes appear here. Give it a token with the <code>write:bookings</code> scope on
          the <Link href="/dashboard/tokens">API tokens</Link> page, then ask it to book an appointment.
        </p>
      </div>
    );
  }

  return (
    <section aria-labelledby="bookings-list-heading">
      <h2 id="bookings-list-heading" ref={headingRef} tabIndex={-1}>
        Your appointments
      </h2>
      <p className="muted">Each appointment is at the hospital’s local time, labelled with its place: be there then, wherever you are now.</p>
      <p role="status" className={styles.notice}>
        {notice}
      </p>
      <div className="table-scroll">
        <table className="cards" role="table">
          <caption className="visually-hidden">Your bookings, in time order</caption>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Hospital</th>
              <th scope="col" role="columnheader">Specialty</th>
              <th scope="col" role="columnheader">Date and time</th>
              <th scope="col" role="columnheader">Status</th>
              <th scope="col" role="columnheader">Made by</th>
              <th scope="col" role="columnheader">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {bookings.data.map((booking) => {
              const past = isPast(booking, now);
              const when = formatAppointment(booking.startsAt, booking.hospital.timeZone);
              return (
                <tr key={booking.id} role="row" className={past ? styles.past : undefined}>
                  <td role="cell">
                    <strong>{booking.hospital.name}</strong>
                    <span className={styles.detail}>
                      {booking.hospital.address}, {booking.hospital.postalCode} {booking.hospital.city}
                    </span>
                    {booking.hospital.phone && (
                      <span className={styles.detail}>
                        Phone: <a href={`tel:${booking.hospital.phone.replace(/[^+\d]/g, "")}`}>{booking.hospital.phone}</a>
                      </span>
                    )}
                    {booking.note && <span className={styles.note}>Note: {booking.note}</span>}
                  </td>
                  <td role="cell" data-label="Specialty">
                    {booking.specialty}
                  </td>
                  <td role="cell" data-label="When">
                    <time dateTime={booking.startsAt.toISOString()}>{when}</time>
                  </td>
                  <td role="cell" data-label="Status">
                    <span className={`status ${booking.status}`}>{STATUS_LABELS[booking.status]}</span>
                    {past && (
                      <>
                        {" "}
                        <span className="status past">(past)</span>
                      </>
                    )}
                  </td>
                  <td role="cell" data-label="Made by">
                    {booking.tokenName !== null ? <bdi>{booking.tokenName}</bdi> : <span className="muted">Web</span>}
                  </td>
                  <td role="cell">
                    {/* A past appointment cannot be cancelled: no button for it. */}
                    {booking.status === "confirmed" && !past && (
                      <button type="button" onClick={() => setCancelling(booking)}>
                        Cancel
                        <span className="visually-hidden">
                          {" "}
                          {booking.specialty} at {booking.hospital.name}, {when}
                        </span>
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {cancelling && (
        <CancelBookingDialog
          booking={cancelling}
          onCancelled={() => setNotice(`Booking at ${cancelling.hospital.name} cancelled.`)}
          onClose={(cancelled) => {
            setCancelling(null);
            // The row's Cancel button is gone: land on the list, where the outcome is announced.
            if (cancelled) headingRef.current?.focus();
          }}
        />
      )}
    </section>
  );
}

function CancelBookingDialog({ booking, onCancelled, onClose }: { booking: Booking; onCancelled: () => void; onClose: (cancelled: boolean) => void }) {
  const [open, setOpen] = useState(true);
  const cancelledRef = useRef(false);
  const utils = api.useUtils();
  const cancel = api.bookings.cancel.useMutation({
    onSuccess: async () => {
      cancelledRef.current = true;
      onCancelled();
      await utils.bookings.list.invalidate();
      setOpen(false);
    },
  });

  return (
    <ConfirmDialog
      open={open}
      id="cancel-booking"
      title="Cancel this booking?"
      description={
        <>
          {booking.specialty} at {booking.hospital.name}, {formatAppointment(booking.startsAt, booking.hospital.timeZone)}. The appointment will be
          cancelled; you can book again later.
        </>
      }
      safeLabel="Keep booking"
      confirmLabel={cancel.isPending ? "Cancelling…" : "Cancel booking"}
      busy={cancel.isPending}
      onConfirm={() => cancel.mutate({ id: booking.id })}
      onClose={() => onClose(cancelledRef.current)}
    >
      {cancel.error && (
        <p className="form-error" role="alert">
          <RequestErrorMessage error={cancel.error} attempt="cancel the booking" />
        </p>
      )}
    </ConfirmDialog>
  );
}
