import { expect, test, type Page } from "./test";
import { addVirtualAuthenticator, signOut, signUp, type VirtualAuthenticator } from "./helpers";
import { linkFromMail } from "./mail";
import { checkPage } from "./page-check";

// Passkeys through Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain): a platform
// authenticator (internal transport) that keeps discoverable credentials and verifies its user, as a phone or a
// laptop with a fingerprint reader does; presence is simulated, so no prompt waits for a touch.

interface VirtualCredential {
  credentialId: string;
  userHandle?: string;
  signCount: number;
}

async function credentialsOf({ cdp, authenticatorId }: VirtualAuthenticator): Promise<VirtualCredential[]> {
  return (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
}

/** CDP speaks base64; the app's requests carry base64url without padding. */
function toBase64url(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function addPasskey(page: Page, name: string): Promise<void> {
  await page.getByLabel("Passkey name").fill(name);
  await page.getByRole("button", { name: "Add passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Added “${name}”` })).toBeVisible();
}

function passkeyList(page: Page) {
  return page.getByRole("list", { name: "Passkeys" });
}

test("passkeys: add several from Settings, rename, remove, then sign in with one instead of the password, back to where sign-in was going", async ({ page }, testInfo) => {
  const laptop = await addVirtualAuthenticator(page);
  const user = await signUp(page);
  await page.goto("/settings");
  await expect(page.getByRole("heading", { name: "Passkeys", level: 3 })).toBeVisible();
  await expect(page.getByText("No passkeys yet.")).toBeVisible();
  await checkPage(page, testInfo, "settings-passkeys-none");

  // The name comes first: nothing is asked of the authenticator without one.
  await page.getByRole("button", { name: "Add passkey" }).click();
  await expect(page.getByLabel("Passkey name")).toHaveAccessibleDescription(/Give the passkey a name\./);
  await expect(page.getByLabel("Passkey name")).toBeFocused();
  expect(await credentialsOf(laptop)).toEqual([]);
  await checkPage(page, testInfo, "settings-passkeys-name-missing");

  await addPasskey(page, "Work laptop");
  await expect(passkeyList(page).getByRole("listitem")).toHaveCount(1);
  // Security mail, with the way to the page where it can be undone.
  expect(await linkFromMail(user.email, "A second factor was added to your Carestral account")).toMatch(/\/settings$/);
  await expect(passkeyList(page)).toContainText("never used");
  expect(await credentialsOf(laptop)).toHaveLength(1);

  // The same authenticator cannot hold a second passkey of the account: the browser refuses, and says so.
  await page.getByLabel("Passkey name").fill("Work laptop again");
  await page.getByRole("button", { name: "Add passkey" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "already holds" })).toHaveText("This device already holds a passkey for your account. Use another device, or remove that passkey first.");
  await checkPage(page, testInfo, "settings-passkeys-already-on-device");

  // Another device: the second passkey.
  await laptop.cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: laptop.authenticatorId });
  const phone = await addVirtualAuthenticator(page, laptop.cdp);
  await addPasskey(page, "Phone");
  await expect(passkeyList(page).getByRole("listitem")).toHaveCount(2);
  const [registered] = await credentialsOf(phone);
  await checkPage(page, testInfo, "settings-passkeys-two");

  // Rename.
  const phoneRow = passkeyList(page).getByRole("listitem").filter({ hasText: "Phone" });
  await phoneRow.getByRole("button", { name: "Rename" }).click();
  const newName = page.getByLabel("New name for “Phone”");
  await expect(newName).toBeFocused();
  await newName.fill("   ");
  await passkeyList(page).getByRole("button", { name: "Save name" }).click();
  await expect(newName).toHaveAccessibleDescription(/Give the passkey a name\./);
  await checkPage(page, testInfo, "settings-passkeys-rename");
  await newName.fill("Pixel phone");
  await passkeyList(page).getByRole("button", { name: "Save name" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Passkey renamed to “Pixel phone”." })).toBeAttached();
  await expect(passkeyList(page)).toContainText("Pixel phone");

  // Remove: the dialog opens on the safe choice; keeping changes nothing.
  const laptopRow = passkeyList(page).getByRole("listitem").filter({ hasText: "Work laptop" });
  await laptopRow.getByRole("button", { name: "Remove" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove passkey “Work laptop”?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Keep passkey" })).toBeFocused();
  await checkPage(page, testInfo, "settings-passkeys-remove-dialog");
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await expect(passkeyList(page).getByRole("listitem")).toHaveCount(2);
  await laptopRow.getByRole("button", { name: "Remove" }).click();
  await dialog.getByRole("button", { name: "Remove passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Passkey “Work laptop” removed." })).toBeAttached();
  await expect(passkeyList(page).getByRole("listitem")).toHaveCount(1);
  expect(await linkFromMail(user.email, "A second factor was removed from your Carestral account")).toMatch(/\/settings$/);

  // Sign out, and back in with the phone's passkey from a sign-in that was going elsewhere (an app's consent page,
  // say): no email, no password.
  await signOut(page);
  await page.goto(`/login?next=${encodeURIComponent("/dashboard/bookings")}`);
  await checkPage(page, testInfo, "login-with-passkey-option");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/dashboard\/bookings$/);
  await expect(page.getByRole("heading", { name: "Bookings", level: 1 })).toBeVisible();
  const [used] = await credentialsOf(phone);
  expect(used?.signCount).toBeGreaterThan(registered?.signCount ?? Infinity);

  await page.goto("/settings");
  await expect(passkeyList(page)).toContainText(/Pixel phone.*last used/);
});

test("passkeys, hostile: a passkey presented as another account's, and a replayed sign-in, are refused", async ({ page }, testInfo) => {
  const authenticator = await addVirtualAuthenticator(page);
  // Alice and Mallory each add a passkey; both live on the one authenticator.
  await signUp(page, { firstname: "Alice" });
  await page.goto("/settings");
  await addPasskey(page, "Alice's key");
  const [alices] = await credentialsOf(authenticator);
  await signOut(page);
  await signUp(page, { firstname: "Mallory" });
  await page.goto("/settings");
  await addPasskey(page, "Mallory's key");
  const mallorys = (await credentialsOf(authenticator)).find((credential) => credential.credentialId !== alices?.credentialId);
  expect(alices?.userHandle && mallorys?.userHandle).toBeTruthy();
  await signOut(page);

  // Mallory signs the sign-in with her own passkey but names Alice's account (Alice's user handle).
  const toBase64urlHandle = (credential: VirtualCredential | undefined) => toBase64url(credential?.userHandle ?? "");
  const isPasskeySignIn = (url: URL | string) => new URL(url).pathname === "/api/trpc/passkeys.signIn";
  await page.route(isPasskeySignIn, async (route) => {
    const body = route.request().postDataJSON() as Record<string, { json?: { response?: { credentialId: string; userHandle: string | null } } }>;
    const response = body["0"]?.json?.response;
    if (response) {
      // Whichever passkey the browser picked, the answer claims the other account.
      response.userHandle = response.credentialId === toBase64url(alices?.credentialId ?? "") ? toBase64urlHandle(mallorys) : toBase64urlHandle(alices);
    }
    await route.continue({ postData: JSON.stringify(body) });
  });
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "passkey" })).toHaveText("Could not sign in with a passkey: This passkey belongs to another account.");
  await checkPage(page, testInfo, "login-passkey-refused");
  await page.unroute(isPasskeySignIn);
  await page.goto("/dashboard/tokens");
  await expect(page).toHaveURL(/\/login/);

  // An honest sign-in goes through; the same answer sent again is refused (its challenge is spent).
  let replay: { body: string; headers: Record<string, string> } | null = null;
  page.on("request", (request) => {
    if (isPasskeySignIn(request.url()) && request.method() === "POST") replay = { body: request.postData() ?? "", headers: request.headers() };
  });
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  expect(replay).not.toBeNull();
  const sent = replay as unknown as { body: string; headers: Record<string, string> };
  const again = await page.request.post("/api/trpc/passkeys.signIn?batch=1", {
    data: sent.body,
    headers: { "content-type": "application/json", origin: new URL(page.url()).origin },
    failOnStatusCode: false,
  });
  expect(again.status()).toBe(403);
  expect(await again.text()).toContain("This passkey request expired or was already used. Try again.");
});
