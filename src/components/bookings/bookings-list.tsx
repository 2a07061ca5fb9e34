"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { api, type RouterOutputs } from "~/trpc/react";
import styles from "./bookings.module.css";

type Booking = RouterOutputs["bookings"]["list"][number];

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STATUS_LABELS: Record<Booking["status"], string> = { confirmed: "Confirmed", cancelled: "Cancelled" };

export function BookingsList() {
  const bookings = api.bookings.list.useQuery();
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  if (bookings.isPending) {
    return (
      <p role="status" className="muted">
        Loading your bookings…
      </p>
    );
  }
  if (bookings.isError) {
    return (
      <div className="card" role="alert">
        <p className="form-error">Your bookings could not be loaded: {bookings.error.message}</p>
        <button type="button" onClick={() => void bookings.refetch()} disabled={bookings.isFetching}>
          Try again
        </button>
      </div>
    );
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
    <>
      <p role="status" className={styles.notice}>
        {notice}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Hospital</th>
            <th scope="col">Specialty</th>
            <th scope="col">Date and time</th>
            <th scope="col">Status</th>
            <th scope="col">Made by</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {bookings.data.map((booking) => (
            <tr key={booking.id}>
              <td>
                {booking.hospital.name}
                <br />
                <span className="muted">{booking.hospital.city}</span>
                {booking.note && <span className={styles.note}>Note: {booking.note}</span>}
              </td>
              <td>{booking.specialty}</td>
              <td>
                <time dateTime={booking.startsAt.toISOString()}>{dateTimeFormat.format(booking.startsAt)}</time>
              </td>
              <td>
                <span className={`status ${booking.status}`}>{STATUS_LABELS[booking.status]}</span>
              </td>
              <td>{booking.tokenName ?? <span className="muted">Web</span>}</td>
              <td>
                {booking.status === "confirmed" && (
                  <button type="button" onClick={() => setCancelling(booking)}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cancelling && (
        <CancelBookingDialog
          booking={cancelling}
          onCancelled={() => setNotice(`Booking at ${cancelling.hospital.name} cancelled.`)}
          onClose={() => setCancelling(null)}
        />
      )}
    </>
  );
}

function CancelBookingDialog({ booking, onCancelled, onClose }: { booking: Booking; onCancelled: () => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const utils = api.useUtils();
  const cancel = api.bookings.cancel.useMutation({
    onSuccess: async () => {
      onCancelled();
      await utils.bookings.list.invalidate();
      dialog.current?.close();
    },
  });

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  return (
    <dialog ref={dialog} aria-labelledby="cancel-booking-title" onClose={onClose}>
      <h2 id="cancel-booking-title">Cancel this booking?</h2>
      <p>
        {booking.specialty} at {booking.hospital.name}, {dateTimeFormat.format(booking.startsAt)}. The appointment will be
        cancelled; you can book again later.
      </p>
      {cancel.error && (
        <p className="form-error" role="alert">
          {cancel.error.message}
        </p>
      )}
      <p className="actions">
        <button type="button" className="danger" onClick={() => cancel.mutate({ id: booking.id })} disabled={cancel.isPending}>
          {cancel.isPending ? "Cancelling…" : "Cancel booking"}
        </button>
        <button type="button" onClick={() => dialog.current?.close()} disabled={cancel.isPending}>
          Keep booking
        </button>
      </p>
    </dialog>
  );
}
