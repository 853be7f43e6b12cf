// Shared pieces of the browser tests: settings from the environment, the browser, pages,
// screenshots, logging in (with or without a one-time code) and the demo server's output.
//
// ANWEI_BASE_URL    the demo server, e.g. http://127.0.0.1:18080 (required)
// ANWEI_DEMO_LOG    the demo server's output, where it prints the administrators' TOTP secrets
// SCREENSHOT_DIR    where screenshots go (default ./screenshots)
// CHROMIUM_PATH     the browser executable (default /usr/bin/chromium, Debian's `chromium`)
//
// Uses playwright-core with the system chromium; no browser is downloaded.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.ANWEI_BASE_URL || '').replace(/\/+$/, '');
export const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || './screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const WAIT_MS = 15_000;

/** The committee office account; every demo account has the same password. */
export const USERNAME = 'office';
export const PASSWORD = 'anwei-demo';

export const DESKTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };

let browser;

/** Launches chromium (once per test file) after checking the settings. */
export async function launchBrowser() {
  assert.ok(BASE_URL, 'ANWEI_BASE_URL must be set, e.g. http://127.0.0.1:18080');
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  console.log(`chromium ${browser.version()} launched; base URL ${BASE_URL}`);
  return browser;
}

export async function closeBrowser() {
  if (browser) await browser.close();
  browser = undefined;
}

/** Registers hooks that launch the browser before the tests of the enclosing suite and close it after. */
export function useBrowser() {
  before(launchBrowser);
  after(closeBrowser);
}

/** New context + page with modest timeouts and diagnostics on stderr; `options` adds to the
 * context's (a position and the permission to read it, say). */
export async function newPage(viewport, label, options = {}) {
  assert.ok(browser, 'the browser is not launched (call useBrowser() in the suite)');
  const context = await browser.newContext({ baseURL: BASE_URL, viewport, locale: 'zh-CN', ...options });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${label}] page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.error(`[${label}] console error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) =>
    console.error(`[${label}] request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`),
  );
  page.on('response', (res) => {
    if (res.status() >= 400) console.error(`[${label}] HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  return page;
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage });
  console.log(`screenshot ${file}`);
}

export async function gotoOk(page, urlPath) {
  const res = await page.goto(urlPath, { waitUntil: 'load' });
  assert.ok(res, `no response for ${urlPath}`);
  assert.ok(res.ok(), `GET ${urlPath} answered HTTP ${res.status()}`);
  return res;
}

export function pathnameOf(page) {
  return new URL(page.url()).pathname;
}

/** Opens /login, checks the form, fills it in and clicks submit (does not wait for the result). */
export async function submitLogin(page, username, password) {
  await gotoOk(page, '/login');
  const form = page.locator('form#login-form');
  await form.waitFor({ state: 'visible' });
  const user = form.locator('input[name=username]');
  const pass = form.locator('input[name=password]');
  const submit = form.locator('button[type=submit]');
  assert.equal(await user.count(), 1, 'login form must have one input[name=username]');
  assert.equal(await pass.count(), 1, 'login form must have one input[name=password]');
  assert.equal(await submit.count(), 1, 'login form must have one button[type=submit]');
  assert.equal(await pass.getAttribute('type'), 'password', 'password input must be type=password');
  assert.equal(await page.locator('.error:visible').count(), 0, 'fresh login page already shows an .error');
  await user.fill(username);
  await pass.fill(password);
  await submit.click();
}

/** Logs in as the committee office and checks that it lands on /. */
export async function login(page) {
  await submitLogin(page, USERNAME, PASSWORD);
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
  assert.equal(pathnameOf(page), '/', 'after login the URL must be /');
}

/** Polls fn() (node side) until it returns a truthy value or the deadline passes. */
export async function poll(fn, message, timeout = WAIT_MS) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      assert.fail(`${message} (timed out after ${timeout} ms; last: ${last instanceof Error ? last.message : last})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** RFC 6238 one-time code (SHA-1, 6 digits, 30 s) for a base32 secret. */
export function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(ch);
    assert.ok(value >= 0, `not base32: ${ch}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

/** Logs in with a one-time code and waits for the home page. */
export async function loginWithCode(page, username, password, code) {
  await gotoOk(page, '/login');
  const form = page.locator('form#login-form');
  await form.locator('input[name=username]').fill(username);
  await form.locator('input[name=password]').fill(password);
  await form.locator('input[name=totp]').fill(code);
  await form.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
}

/** The TOTP secret the demo server printed beside an administrator account (read from ANWEI_DEMO_LOG). */
export async function demoTotpSecret(username) {
  const logPath = process.env.ANWEI_DEMO_LOG;
  assert.ok(logPath, 'ANWEI_DEMO_LOG must name the demo server output (it prints the TOTP secrets)');
  const log = await readFile(logPath, 'utf8');
  const match = log.match(new RegExp(`^  ${username}\\s+.*TOTP secret ([A-Z2-7]+)$`, "m"));
  assert.ok(match, `the demo printed the ${username} TOTP secret`);
  return match[1];
}
