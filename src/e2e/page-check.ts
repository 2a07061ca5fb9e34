import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

// One call per page and state a person can reach: axe finds no violation (WCAG 2.x A/AA and axe's best
// practices), nothing but a table's own box scrolls sideways, and a screenshot is written under
// test-results/screenshots/<project>/ for review without running anything.

export async function checkPage(page: Page, testInfo: TestInfo, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const violations = results.violations.map((violation) => ({
    rule: violation.id,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
  expect(violations, `axe violations on "${state}"`).toEqual([]);
  await expectNoSidewaysScroll(page, state);
  await page.screenshot({ path: `test-results/screenshots/${testInfo.project.name}/${state}.png`, fullPage: true });
}

export async function expectNoSidewaysScroll(page: Page, state: string): Promise<void> {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(widths.page, `page width on "${state}"`).toBeLessThanOrEqual(widths.viewport);
}

export function isPhone(testInfo: TestInfo): boolean {
  return testInfo.project.name === "phone";
}
