import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/**
 * Real-browser tests: Debian's Chromium (`apt-get install chromium`) driven by playwright-core.
 * CHROMIUM_PATH overrides where it is looked for. Without it the browser specs skip themselves with
 * a message, so `npm test` passes on a machine without Chromium (.ci/run installs it).
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'].filter(Boolean) as string[];
export const chromiumPath: string | null = CANDIDATES.find((p) => existsSync(p)) ?? null;

/** The flags this machine needs (no sandbox as root in containers, no GPU, nothing fetched in the background). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** `describe` when Chromium is installed, else a skipped block that says why. */
export function describeInBrowser(name: string, body: () => void) {
  if (chromiumPath) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it.skip(`skipped: Chromium not found (${CANDIDATES.join(', ')}); install it with "apt-get install chromium" or set CHROMIUM_PATH`, () => undefined);
  });
}

/** One browser per spec file (`launch` gives it a fresh profile); a context per test. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS, headless: true });
}

export async function newContext(browser: Browser, options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true, viewport: options.viewport ?? { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  return context;
}

/** axe-core on the page as it is: no serious or critical violation (WCAG 2.0-2.2 A and AA rules). */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${page.url()}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  expect(serious).toEqual([]);
}

export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/** A full-page screenshot into test-artifacts/ (git-ignored): the journeys' key pages. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Logs in through the log-in page as `user`, then waits for the page `next` (a path) it returns to. */
export async function logInAs(page: Page, baseUrl: string, user: { email: string; password: string }, next: string): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(baseUrl + next);
}
