import { expect, test as base, type Page } from "@playwright/test";

export * from "@playwright/test";

// React's hydration failures: a development build says "Hydration failed…"; a production build, as the suite
// runs, "Minified React error #418" (and #423, #425), as an uncaught page error rather than on the console.
const HYDRATION_ERROR = /hydrat|Minified React error #(?:418|423|425)\b/i;

/**
 * Playwright's `test`, failing any test whose pages (those of its own browser context) reported a hydration error:
 * the server's HTML and the browser's first render differed, and React drew the page again in the browser. Every
 * spec imports `test` from here. Other uncaught page errors do not fail the test (some specs cut the server off
 * on purpose), but each is annotated, and `npm test` lists them at the end with `!` to be read.
 */
export const test = base.extend<{ failOnHydrationError: void }>({
  failOnHydrationError: [
    async ({ context }, use, testInfo) => {
      const hydration: string[] = [];
      const uncaught = new Set<string>();
      const watch = (page: Page) =>
        page.on("pageerror", (error) => {
          const where = `${new URL(page.url()).pathname}: ${error.message.split("\n")[0]}`;
          if (HYDRATION_ERROR.test(error.message)) hydration.push(where);
          else uncaught.add(where);
        });
      // The test's `page` may be open already; pages opened later (a popup, a second tab) are watched as they come.
      context.pages().forEach(watch);
      context.on("page", watch);
      await use();
      for (const where of uncaught) testInfo.annotations.push({ type: "uncaught page error", description: where });
      expect(hydration, `hydration errors: ${hydration.join("; ")}`).toEqual([]);
    },
    { auto: true },
  ],
});
