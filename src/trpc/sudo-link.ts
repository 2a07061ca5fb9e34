import type { TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable, type Unsubscribable } from "@trpc/server/observable";
import { isSudoRequired } from "~/components/sudo/sudo-required";

/**
 * Sudo mode in the browser, for every form at once: a mutation refused with data.sudoRequired waits while
 * `confirmAccess` asks (the Confirm access dialog), then is sent again, once, with the same input. The form
 * that sent it only sees its mutation pending a little longer, so nothing typed is lost. Cancelled, the
 * mutation fails with the server's refusal, which says what was needed. The server refused before doing
 * anything, so sending the same call again is safe.
 */
export function sudoLink<TRouter extends AnyRouter>(confirmAccess: () => Promise<boolean>): TRPCLink<TRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        let current: Unsubscribable | undefined;
        let stopped = false;
        current = next(op).subscribe({
          next: (envelope) => observer.next(envelope),
          complete: () => observer.complete(),
          error(error) {
            if (op.type !== "mutation" || !isSudoRequired(error)) {
              observer.error(error);
              return;
            }
            confirmAccess().then(
              (confirmed) => {
                if (stopped) return;
                if (!confirmed) observer.error(error);
                else current = next(op).subscribe(observer);
              },
              () => observer.error(error),
            );
          },
        });
        return () => {
          stopped = true;
          current?.unsubscribe();
        };
      });
}
