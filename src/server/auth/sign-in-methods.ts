// How a session began, stored on it (sessions.sign_in_method) and shown in the Sessions list on /settings, so a
// person can tell a session that passed their second factor from one that used a recovery code.

export const SIGN_IN_METHODS = ["password", "password_totp", "password_recovery_code", "password_passkey", "passkey", "email_link"] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

const LABELS: Record<SignInMethod, string> = {
  password: "password",
  password_totp: "password + authenticator app",
  password_recovery_code: "password + recovery code",
  password_passkey: "password + passkey",
  passkey: "passkey",
  email_link: "emailed link",
};

/** Words for the Sessions list; a value this build does not know (written by a newer one) is shown as it is. */
export function describeSignInMethod(method: string): string {
  return (LABELS as Record<string, string>)[method] ?? method.replaceAll("_", " ");
}
