// Issue 14: a real browser. Debian's Chromium, driven by playwright-core, opens the local stack's page,
// connects over MQTT over WebSocket with the token in the URL's query string (a page's JavaScript cannot
// set the upgrade's headers), receives its own message, and shows the deny reason for a bad token.
// Without Chromium the test is skipped with a loud notice locally, and fails in CI (CI=true), which installs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LocalBroker } from '../../local/broker.ts';
import { createExplain } from '../../local/explain.ts';
import { parseConfig } from '../../functions/authorizer/config/config.ts';
import { mint, type Signer } from '../helpers/keys.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const found = existsSync(CHROMIUM);
if (!found) {
  const notice = `\n*** browser test NOT RUN: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH) ***\n`;
  if (process.env.CI) throw new Error(notice);
  console.warn(notice);
}

let stack: TestStack;
let broker: LocalBroker;
let signer: Signer;
let browser: Browser;

beforeAll(async () => {
  if (!found) return;
  stack = await startTestStack({ JWT_FROM: 'password,query:token,header:authorization' },
    async () => ({ explain: createExplain(parseConfig(process.env), 'JwtAuthorizer'), pageTokenParameter: 'token' }));
  ({ broker, signer } = stack);
  // The flags keep Chromium off the network it would otherwise probe at start (this machine has none);
  // playwright gives it a fresh profile.
  browser = await chromium.launch({
    executablePath: CHROMIUM, timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A fresh tab on the local page, closed afterwards whatever happens. */
async function onPage(use: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.newPage();
  try {
    await page.goto(`${broker.dataUrl}/`);
    await use(page);
  } finally {
    await page.close();
  }
}

/** What a person does on the page: paste the token, give a client id, press Connect. */
async function connectWith(page: Page, token: string, clientId: string): Promise<void> {
  await page.fill('#token', token);
  await page.fill('#client-id', clientId);
  await page.click('#connect');
}

describe.skipIf(!found)('the browser page, in headless Chromium', () => {
  it('connects with a token in the WebSocket URL, subscribes, publishes and receives its own message', async () => {
    const token = await mint(signer, { sub: 'browser-1', acl: { all: ['demo/#'] } });
    await onPage(async (page) => {
      await connectWith(page, token, 'browser-1');
      await page.locator('#status', { hasText: /^Connected as browser-1/ }).waitFor({ timeout: 10_000 });
      await page.click('#subscribe');
      await page.locator('#status', { hasText: /^Subscribed/ }).waitFor({ timeout: 10_000 });
      await page.click('#publish');
      await page.waitForSelector('#messages li', { timeout: 10_000 });
      expect(await page.textContent('#messages li')).toBe('demo/browser: hello from the browser');
    });
  }, 60_000);

  it('shows a refused token\'s deny reason', async () => {
    const token = await mint(signer, { sub: 'browser-2' }, { ttl: -60 });
    await onPage(async (page) => {
      await connectWith(page, token, 'browser-2');
      await page.locator('#reason', { hasText: /Denied|allows/ }).waitFor({ timeout: 10_000 });
      expect(await page.textContent('#status')).toMatch(/^Refused/);
      expect(await page.textContent('#reason')).toMatch(/^Denied: TOKEN_EXPIRED/);
    });
  }, 60_000);

  it('runs the README\'s browser snippet word for word (ws:// for the local wss://)', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const snippet = /```js\n([\s\S]*?mqtt\.connect[\s\S]*?)```/.exec(readme)?.[1]?.replace(/^ {2}/gm, '');
    expect(snippet, 'the README\'s browser snippet').toBeDefined();
    const token = await mint(signer, { sub: 'browser-1', acl: { all: ['demo/#'] } });
    await onPage(async (page) => {
      const logged = new Promise<string>((resolve) => page.on('console', (message) => resolve(message.text())));
      const endpoint = new URL(broker.wsUrl).host;
      await page.evaluate(`const endpoint = ${JSON.stringify(endpoint)}; const token = ${JSON.stringify(token)};\n${snippet!.replace('wss://', 'ws://')}`);
      expect(await Promise.race([logged, new Promise((resolve) => setTimeout(() => resolve('nothing logged'), 10_000))])).toBe('demo/browser hi');
    });
  }, 60_000);
});
