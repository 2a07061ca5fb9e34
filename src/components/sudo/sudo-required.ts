interface ClientErrorShape {
  data?: { sudoRequired?: unknown } | null;
}

/** Whether a tRPC call was refused for want of sudo mode (the server's data.sudoRequired, src/server/api/trpc.ts). */
export function isSudoRequired(error: unknown): boolean {
  return (error as ClientErrorShape | null | undefined)?.data?.sudoRequired === true;
}
