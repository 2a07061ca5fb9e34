import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, type TestInfo } from "@playwright/test";

// One call per page and state a person can reach: axe finds no violation (WCAG 2.x A/AA and axe's best
// practices), nothing but a table's own box scrolls sideways (an open dialog neither sticks out nor scrolls), and a screenshot is written under
// test-results/screenshots/<project>/ for review without running anything.

export async function checkPage(page: Page, testInfo: TestInfo, state: string): Promise<void> {
  let violations = await axeViolations(page);
  if (violations.length > 0) {
    // Once more after a second: a page caught mid-render (a refresh the page itself started, say) is not a state a
    // person stays in. What stays is a failure; what passed on the second look is kept in the report, to be read.
    const first = describeViolations(violations);
    await page.waitForTimeout(1_000);
    violations = await axeViolations(page);
    if (violations.length === 0) {
      testInfo.annotations.push({ type: "transient axe violation", description: `"${state}": ${first}` });
      console.warn(`transient axe violation on "${state}" [${testInfo.project.name}]: ${first}`);
    }
  }
  // The rules and their targets are in the message's first line, so npm test's one-line summary of a failure names them.
  expect(violations, `axe violations on "${state}": ${describeViolations(violations)}`).toEqual([]);
  await expectNoSidewaysScroll(page, state);
  await page.screenshot({ path: `test-results/screenshots/${testInfo.project.name}/${state}.png`, fullPage: true });
}

interface Violation {
  rule: string;
  help: string;
  targets: string[];
}

async function axeViolations(page: Page): Promise<Violation[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  return results.violations.map((violation) => ({
    rule: violation.id,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}

function describeViolations(violations: Violation[]): string {
  return violations.map(({ rule, targets }) => `${rule} at ${targets.slice(0, 2).join(", ")}`).join("; ");
}

export async function expectNoSidewaysScroll(page: Page, state: string): Promise<void> {
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(widths.page, `page width on "${state}"`).toBeLessThanOrEqual(widths.viewport);
  // A modal dialog sits in the top layer, outside the document's scroll width: measure each open one itself.
  const dialogs = await page.evaluate(() =>
    [...document.querySelectorAll("dialog[open]")].map((dialog) => {
      const box = dialog.getBoundingClientRect();
      return { left: box.left, right: box.right, scrollWidth: dialog.scrollWidth, clientWidth: dialog.clientWidth };
    }),
  );
  const viewport = widths.viewport;
  for (const [index, dialog] of dialogs.entries()) {
    const where = `dialog ${index + 1} on "${state}"`;
    expect(dialog.left, `${where}: left edge`).toBeGreaterThanOrEqual(0);
    expect(dialog.right, `${where}: right edge`).toBeLessThanOrEqual(viewport);
    expect(dialog.scrollWidth, `${where}: content width`).toBeLessThanOrEqual(dialog.clientWidth);
  }
}

export function isPhone(testInfo: TestInfo): boolean {
  return testInfo.project.name === "phone";
}
