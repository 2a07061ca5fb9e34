import { expect, test } from "./test";

test("the home page says what Carestral is and offers sign up and sign in", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Carestral" })).toBeVisible();
  await expect(page.getByText(/Model Context Protocol/)).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign up" })).toHaveAttribute("href", "/signup");
  await expect(page.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
});
