// A real browser for the console and GraphiQL tests: Debian's Chromium
// (/usr/bin/chromium, package `chromium`) driven by playwright-core, never a
// downloaded browser. Every request that does not go to loopback is aborted
// and recorded, so a page that needs a CDN or any outside host fails its test.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** A new page in the shared context (same sessionStorage origin rules as a real tab). */
  page(): Promise<Page>;
  /** Requests refused because they left loopback: a test asserts this stays empty. */
  blocked: string[];
  /** console.error messages and uncaught page errors seen in any page. */
  pageErrors: string[];
  close(): Promise<void>;
}

const isLoopback = (url: string) => {
  try {
    const u = new URL(url);
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
};

/** Launches Chromium (fails, never skips, when it is missing) with a fresh profile. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\``);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'hookline-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const watch = (p: Page) => {
    p.on('pageerror', (err) => pageErrors.push(String(err)));
    p.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    page: () => context.newPage(),
    blocked,
    pageErrors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
