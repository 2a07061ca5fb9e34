"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";

/**
 * Moves to `path` after the session changed (sign-in, sign-up, sign-out): drops every cached query,
 * which belonged to the previous person, and re-renders server components with the new cookie.
 */
export function useSessionChangeNavigation(): (path: string) => void {
  const router = useRouter();
  const queryClient = useQueryClient();
  return (path) => {
    queryClient.clear();
    router.replace(path);
    router.refresh();
  };
}
