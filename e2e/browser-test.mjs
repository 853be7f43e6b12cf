// Browser test for the anwei demo server.
//
// Usage: ANWEI_BASE_URL=http://127.0.0.1:18080 ANWEI_DEMO_LOG=/path/to/demo-output.log
//        [SCREENSHOT_DIR=./screenshots] node browser-test.mjs
// ANWEI_DEMO_LOG is the demo server's output, where it prints the administrators' TOTP secrets.
//
// Uses playwright-core with the system chromium (Debian package `chromium`);
// no browser is downloaded. CHROMIUM_PATH overrides the executable path.
// The tests run sequentially and share one browser; a–d also share one page.

import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { chromium, request } from 'playwright-core';

const BASE_URL = (process.env.ANWEI_BASE_URL || '').replace(/\/+$/, '');
const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR || './screenshots');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WAIT_MS = 15_000;

const USERNAME = 'office';
const PASSWORD = 'anwei-demo';

const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

let browser;
/** The desktop page shared by tests a–d (set as soon as login succeeded). */
let desktopPage;

before(async () => {
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
  console.log(`# chromium ${browser.version()} launched; base URL ${BASE_URL}`);
});

after(async () => {
  if (browser) await browser.close();
});

/** New context + page with modest timeouts and diagnostics on stderr. */
async function newPage(viewport, label) {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport, locale: 'zh-CN' });
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

async function screenshot(page, name) {
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`# screenshot ${file}`);
}

async function gotoOk(page, urlPath) {
  const res = await page.goto(urlPath, { waitUntil: 'load' });
  assert.ok(res, `no response for ${urlPath}`);
  assert.ok(res.ok(), `GET ${urlPath} answered HTTP ${res.status()}`);
  return res;
}

function pathnameOf(page) {
  return new URL(page.url()).pathname;
}

/** Opens /login, checks the form, fills it in and clicks submit (does not wait for the result). */
async function submitLogin(page, username, password) {
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

async function login(page) {
  await submitLogin(page, USERNAME, PASSWORD);
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
  assert.equal(pathnameOf(page), '/', 'after login the URL must be /');
}

/** Polls fn() (node side) until it returns a truthy value or the deadline passes. */
async function poll(fn, message, timeout = WAIT_MS) {
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

test('a. desktop: login as office and see the region map', async () => {
  const page = await newPage(DESKTOP, 'desktop');
  await login(page);
  desktopPage = page; // b–d go on from here even if the map checks below fail

  const map = page.locator('#region-map');
  await map.waitFor({ state: 'visible' });
  await map.locator('canvas').first().waitFor({ state: 'attached' });

  const box = await map.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 100, `#region-map is too small: ${JSON.stringify(box)}`);

  // ECharts has actually drawn something: some canvas pixel is not transparent.
  await poll(
    () =>
      map.evaluate((el) =>
        [...el.querySelectorAll('canvas')].some((c) => {
          if (!c.width || !c.height) return false;
          const ctx = c.getContext('2d');
          if (!ctx) return false;
          const data = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        }),
      ),
    'ECharts canvas in #region-map stays blank',
  );

  await screenshot(page, 'home.png');
});

test('b. enterprise list and filter', async () => {
  assert.ok(desktopPage, 'needs the logged-in page from test a');
  const page = desktopPage;

  const navLink = page.locator('a[href="/enterprises"]').first();
  await navLink.waitFor({ state: 'visible' });
  await navLink.click();
  await page.waitForURL((url) => url.pathname === '/enterprises', { waitUntil: 'load' });

  const table = page.locator('table#enterprise-table');
  await table.waitFor({ state: 'visible' });
  const rows = table.locator('tbody tr');
  const rowCount = await rows.count();
  assert.ok(rowCount >= 10, `expected at least 10 enterprise rows, got ${rowCount}`);
  const linksPerRow = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('a.enterprise-link').length));
  linksPerRow.forEach((n, i) => assert.ok(n >= 1, `row ${i + 1} has no a.enterprise-link`));

  const form = page.locator('form#enterprise-filter');
  await form.waitFor({ state: 'visible' });
  const q = form.locator('input[name=q]');
  await q.fill('化工');
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('q') === '化工', { waitUntil: 'load' }),
    q.press('Enter'),
  ]);

  const visibleNames = await page
    .locator('table#enterprise-table tbody tr:visible:not(#empty-result)')
    .evaluateAll((trs) => trs.map((tr) => (tr.querySelector('a.enterprise-link')?.textContent ?? '').trim()));
  if (visibleNames.length === 0) {
    assert.ok(await page.locator('#empty-result').isVisible(), 'filter gave no rows but #empty-result is not visible');
  } else {
    for (const name of visibleNames) {
      assert.ok(name.includes('化工'), `filtered row name does not contain 化工: ${JSON.stringify(name)}`);
    }
  }
  console.log(`# filter 化工: ${visibleNames.length} row(s)`);
  await screenshot(page, 'enterprises.png');
});

test('c. enterprise detail page', async () => {
  assert.ok(desktopPage, 'needs the logged-in page from test a');
  const page = desktopPage;

  await gotoOk(page, '/enterprises');
  const link = page.locator('table#enterprise-table a.enterprise-link').first();
  await link.waitFor({ state: 'visible' });
  const name = (await link.textContent()).trim();
  assert.ok(name.length > 0, 'first enterprise link has no text');
  const href = await link.getAttribute('href');
  assert.ok(href, 'first enterprise link has no href');
  const target = new URL(href, page.url());

  await link.click();
  await page.waitForURL((url) => url.pathname === target.pathname, { waitUntil: 'load' });

  const h1 = page.locator('h1').first();
  await h1.waitFor({ state: 'visible' });
  const h1Text = (await h1.textContent()).replace(/\s+/g, ' ').trim();
  assert.equal(h1Text, name.replace(/\s+/g, ' '), 'detail page h1 must equal the enterprise link text');

  const dl = page.locator('dl#enterprise-detail');
  await dl.waitFor({ state: 'visible' });
  assert.ok((await dl.textContent()).includes('统一社会信用代码'), 'dl#enterprise-detail lacks 统一社会信用代码');
  await screenshot(page, 'enterprise-detail.png');
});

test('d. language switch to English and back', async () => {
  assert.ok(desktopPage, 'needs the logged-in page from test a');
  const page = desktopPage;

  const en = page.locator('a#lang-en');
  await en.waitFor({ state: 'visible' });
  await en.click();
  await page.locator('nav', { hasText: 'Enterprises' }).first().waitFor({ state: 'visible' });
  assert.ok(
    (await page.locator('nav').allTextContents()).join(' ').includes('Enterprises'),
    'nav does not contain "Enterprises" after switching to English',
  );

  const zh = page.locator('a#lang-zh');
  await zh.waitFor({ state: 'visible' });
  await zh.click();
  await page.locator('nav', { hasText: '企业' }).first().waitFor({ state: 'visible' });
  assert.ok(
    (await page.locator('nav').allTextContents()).join(' ').includes('企业'),
    'nav does not contain 企业 after switching back to Chinese',
  );
});

test('e. phone viewport: enterprise list has no horizontal overflow', async () => {
  const page = await newPage(PHONE, 'phone');
  try {
    await login(page);
    await gotoOk(page, '/enterprises');
    await page.locator('table#enterprise-table').waitFor({ state: 'visible' });
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.equal(innerWidth, PHONE.width, 'phone viewport width not applied');
    assert.ok(
      scrollWidth <= innerWidth + 1,
      `horizontal overflow on phone: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`,
    );
    await screenshot(page, 'enterprises-phone.png');
  } finally {
    await page.context().close();
  }
});

test('f. wrong password shows an error and stays on /login', async () => {
  const page = await newPage(DESKTOP, 'wrong-password');
  try {
    await submitLogin(page, USERNAME, 'wrong-password');
    const error = page.locator('.error').first();
    await error.waitFor({ state: 'visible' });
    await page.waitForLoadState('load');
    assert.ok((await error.textContent()).trim().length > 0, '.error element is empty');
    assert.equal(pathnameOf(page), '/login', 'wrong password must stay on /login');
    assert.equal(await page.locator('#region-map').count(), 0, 'wrong password must not show the home page');
  } finally {
    await page.context().close();
  }
});

/** RFC 6238 one-time code (SHA-1, 6 digits, 30 s) for a base32 secret. */
function totp(secret, at = Date.now()) {
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
async function loginWithCode(page, username, password, code) {
  await gotoOk(page, '/login');
  const form = page.locator('form#login-form');
  await form.locator('input[name=username]').fill(username);
  await form.locator('input[name=password]').fill(password);
  await form.locator('input[name=totp]').fill(code);
  await form.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
}

test('g. profile: enrol a second factor from the QR page, log in with it, turn it off again', async () => {
  const page = await newPage(PHONE, 'totp');
  try {
    await submitLogin(page, 'expert', PASSWORD);
    await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await page.locator('#profile-link').click();
    await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
    await page.locator('#totp-begin button').click();
    const qr = page.locator('img#secret-qr');
    await qr.waitFor({ state: 'visible' });
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code image renders');
    const secret = (await page.locator('#secret-value').textContent()).trim();
    await screenshot(page, 'totp-enrol-phone.png');
    await page.locator('form#secret-confirm input[name=password]').fill(PASSWORD);
    await page.locator('form#secret-confirm input[name=code]').fill(totp(secret));
    await page.locator('form#secret-confirm button[type=submit]').click();
    await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
    assert.ok((await page.locator('#notice').textContent()).trim().length > 0, 'enrolment is confirmed');

    // A fresh login without the code is refused; with it, it succeeds.
    const second = await newPage(DESKTOP, 'totp-login');
    try {
      await submitLogin(second, 'expert', PASSWORD);
      await second.locator('.error').first().waitFor({ state: 'visible' });
      assert.equal(pathnameOf(second), '/login');
      await loginWithCode(second, 'expert', PASSWORD, totp(secret));
    } finally {
      await second.context().close();
    }

    // Leave the demo as it was: turn the second factor off with the password.
    await gotoOk(page, '/profile');
    await page.locator('#totp-section input[name=password]').fill(PASSWORD);
    await page.locator('#totp-section form[action="/profile/totp/remove"] button').click();
    await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
    assert.ok((await page.locator('#totp-status').textContent()).length > 0);
  } finally {
    await page.context().close();
  }
});

test('h. auditor: second factor, audit log search by date, chain verified, export', async () => {
  const logPath = process.env.ANWEI_DEMO_LOG;
  assert.ok(logPath, 'ANWEI_DEMO_LOG must name the demo server output (it prints the TOTP secrets)');
  const log = await readFile(logPath, 'utf8');
  const match = log.match(/auditor\s+\S+\s+TOTP secret ([A-Z2-7]+)/);
  assert.ok(match, 'the demo printed the auditor TOTP secret');
  const page = await newPage(DESKTOP, 'auditor');
  try {
    await loginWithCode(page, 'auditor', PASSWORD, totp(match[1]));
    await page.locator('a[href="/audit"]').first().click();
    await page.waitForURL((url) => url.pathname === '/audit', { waitUntil: 'load' });
    assert.ok((await page.locator('#chain-status').getAttribute('class')).includes('ok'), 'the hash chain verifies');
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const form = page.locator('form#audit-filter');
    await form.locator('input[name=action]').fill('auth.login');
    await form.locator('input[name=from]').fill(today);
    await form.locator('input[name=to]').fill(today);
    await Promise.all([page.waitForURL((url) => url.searchParams.get('from') === today, { waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
    const actions = await page.locator('table#audit-table tbody tr td:nth-child(4)').allTextContents();
    assert.ok(actions.length > 0, 'today has logins');
    assert.ok(actions.every((a) => a.startsWith('auth.login')), `filtered by action: ${actions.slice(0, 5)}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#audit-export-csv').click()]);
    const csv = await readFile(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\ufeff序号,时间,操作人'), 'CSV export with a BOM and Chinese headers');
    await screenshot(page, 'audit.png');
    // The auditor has no business data.
    const res = await page.goto('/enterprises');
    assert.equal(res.status(), 404);
  } finally {
    await page.context().close();
  }
});

test('i. office: the work-plan matrix with status colours, drill-down, phone layout', async () => {
  const page = await newPage(DESKTOP, 'matrix');
  try {
    await login(page);
    await page.locator('a[href="/plans"]').first().click();
    await page.waitForURL((url) => url.pathname === '/plans', { waitUntil: 'load' });
    await page.locator('a.plan-link').first().click();
    await page.waitForURL((url) => /^\/plans\/\d+$/.test(url.pathname), { waitUntil: 'load' });
    const rows = page.locator('table#plan-matrix tbody tr');
    assert.equal(await rows.count(), 24, 'the reference plan has 24 items');
    const overdue = await page.locator('table#plan-matrix td.st-overdue').count();
    const accepted = await page.locator('table#plan-matrix td.st-in_progress, table#plan-matrix td.st-accepted').count();
    assert.ok(overdue > 0 && accepted > overdue, `realistic progress: ${overdue} overdue, ${accepted} in progress or accepted`);
    await screenshot(page, 'plan-matrix.png');
    // Filter to overdue cells only; every visible cell is overdue.
    await page.locator('form#matrix-filter select[name=status]').selectOption('overdue');
    await Promise.all([page.waitForURL((url) => url.searchParams.get('status') === 'overdue', { waitUntil: 'load' }), page.locator('form#matrix-filter button').click()]);
    const classes = await page.locator('table#plan-matrix td.cell:not(.empty)').evaluateAll((tds) => tds.map((td) => td.className));
    assert.ok(classes.length > 0 && classes.every((c) => c.includes('st-overdue')), 'the status filter keeps only overdue cells');
    await page.locator('table#plan-matrix td.st-overdue a').first().click();
    await page.waitForURL((url) => /^\/assignments\/\d+$/.test(url.pathname), { waitUntil: 'load' });
    assert.ok((await page.locator('#assignment-status').getAttribute('class')).includes('st-overdue'));
  } finally {
    await page.context().close();
  }
  const phone = await newPage(PHONE, 'matrix-phone');
  try {
    await login(phone);
    await gotoOk(phone, '/plans');
    await phone.locator('a.plan-link').first().click();
    await phone.locator('table#plan-matrix').waitFor({ state: 'visible' });
    const { scrollWidth, innerWidth } = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    assert.ok(scrollWidth <= innerWidth + 1, `the page itself does not scroll sideways on a phone: ${scrollWidth} > ${innerWidth}`);
    await screenshot(phone, 'plan-matrix-phone.png');
  } finally {
    await phone.context().close();
  }
});

test('j. department: report progress with evidence from the inbox', async () => {
  const page = await newPage(PHONE, 'report');
  try {
    await submitLogin(page, 'yjt', PASSWORD);
    await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await gotoOk(page, '/assignments');
    const links = await page.locator('a.assignment-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(links.length > 5, 'the department has assignments');
    let found = false;
    for (const href of links) {
      await gotoOk(page, href);
      if (await page.locator('form#report-form').count()) { found = true; break; }
    }
    assert.ok(found, 'some assignment accepts a report');
    const before = await page.locator('#reports article.report').count();
    const form = page.locator('form#report-form');
    await form.locator('select[name=period]').selectOption('interim');
    await form.locator('textarea[name=body]').fill('浏览器测试:已组织专项检查,发现问题全部整改。');
    await form.locator('input[name=files]').setInputFiles({ name: '检查记录.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 test') });
    await form.locator('button[type=submit]').click();
    await poll(async () => (await page.locator('#reports article.report').count()) === before + 1, 'the new report appears');
    assert.ok((await page.locator('#reports').textContent()).includes('检查记录.pdf'), 'the evidence is listed');
    await screenshot(page, 'assignment-phone.png');
  } finally {
    await page.context().close();
  }
});

test('k. office: the assessment ranking of the 9 cities and a score sheet', async () => {
  const page = await newPage(DESKTOP, 'assessment');
  try {
    await login(page);
    await page.locator('a[href="/assessment"]').first().click();
    await page.waitForURL((url) => url.pathname === '/assessment', { waitUntil: 'load' });
    const rows = page.locator('table#ranking-table tbody tr');
    assert.equal(await rows.count(), 9, 'nine cities are ranked');
    const last = await rows.nth(8).textContent();
    assert.ok(last.includes('一票否决'), `the vetoed city is last: ${last}`);
    const totals = await page.locator('table#ranking-table tbody tr td:nth-child(3)').allTextContents();
    const first8 = totals.slice(0, 8).map(Number);
    assert.deepEqual(first8, [...first8].sort((a, b) => b - a), 'ranked by total');
    await screenshot(page, 'assessment.png');
    await page.locator('a.unit-link').first().click();
    await page.waitForURL((url) => url.pathname.startsWith('/assessment/units/'), { waitUntil: 'load' });
    const scores = await page.locator('table#score-sheet tbody tr td:nth-child(3)').allTextContents();
    const sum = scores.map(Number).reduce((a, b) => a + b, 0);
    const total = Number(await page.locator('#sheet-total').textContent());
    assert.ok(Math.abs(sum - total) < 0.011, `the sheet shows where every point went: ${sum} vs ${total}`);
  } finally {
    await page.context().close();
  }
});

test('l. a 重大 hidden danger through the loop in the UI: the enterprise plans and submits, the regulator accepts', async () => {
  const enterprise = await newPage(PHONE, 'danger-enterprise');
  const regulator = await newPage(DESKTOP, 'danger-regulator');
  try {
    await submitLogin(enterprise, 'enterprise', PASSWORD);
    await enterprise.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await gotoOk(enterprise, '/dangers/new');
    const form = enterprise.locator('form#danger-form');
    await form.locator('input[name=location]').fill('浏览器测试储罐区');
    await form.locator('select[name=grade]').selectOption('major');
    await form.locator('textarea[name=description]').fill('浏览器测试:储罐未设紧急切断阀');
    await form.locator('input[name=responsible_person]').fill('王工');
    await form.locator('button[type=submit]').click();
    await enterprise.waitForURL((url) => /^\/dangers\/\d+$/.test(url.pathname), { waitUntil: 'load' });
    const dangerPath = new URL(enterprise.url()).pathname;
    assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'reported');

    await submitLogin(regulator, 'chaoyang', PASSWORD);
    await regulator.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await gotoOk(regulator, dangerPath);
    await regulator.locator('#danger-simple-actions button[value=confirm]').click();
    await regulator.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
    assert.equal(await regulator.locator('#danger-state').getAttribute('data-state'), 'confirmed');

    // A plan missing elements is refused and names them; the full plan is accepted.
    await gotoOk(enterprise, dangerPath);
    const plan = enterprise.locator('form#danger-plan-form');
    await plan.locator('input[name=goal]').fill('消除隐患');
    await plan.locator('button[type=submit]').click();
    await enterprise.locator('.error').first().waitFor({ state: 'visible' });
    assert.ok((await enterprise.locator('.error').first().textContent()).includes('funds'), 'the missing elements are named');
    const again = enterprise.locator('form#danger-plan-form');
    await again.locator('input[name=goal]').fill('消除隐患');
    await again.locator('textarea[name=measures]').fill('加装紧急切断阀');
    await again.locator('input[name=funds]').fill('20万元');
    await again.locator('input[name=organization]').fill('设备部');
    await again.locator('input[name=deadline]').fill('2030-12-31');
    await again.locator('textarea[name=safety_measures]').fill('停用储罐');
    await again.locator('textarea[name=emergency_plan]').fill('泄漏预案');
    await again.locator('button[type=submit]').click();
    await enterprise.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
    assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'planned');
    await enterprise.locator('#danger-simple-actions button[value=start]').click();
    await enterprise.locator('form#danger-submit-form').waitFor({ state: 'visible' });
    await enterprise.locator('form#danger-submit-form input[name=note]').fill('已加装');
    await enterprise.locator('form#danger-submit-form button[type=submit]').click();
    await enterprise.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
    assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'pending_acceptance');
    assert.equal(await enterprise.locator('#danger-simple-actions button[value=accept]').count(), 0, 'the enterprise cannot accept its own 重大 rectification');
    await screenshot(enterprise, 'danger-phone.png');

    await gotoOk(regulator, dangerPath);
    await regulator.locator('#danger-simple-actions button[value=accept]').click();
    await regulator.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
    assert.equal(await regulator.locator('#danger-state').getAttribute('data-state'), 'closed');
  } finally {
    await enterprise.context().close();
    await regulator.context().close();
  }
});

test('m. the four-colour risk map on the home page, and an enterprise risk profile', async () => {
  const page = await newPage(DESKTOP, 'risk');
  try {
    await login(page);
    const map = page.locator('#risk-map');
    await map.waitFor({ state: 'visible' });
    await map.locator('canvas').first().waitFor({ state: 'attached' });
    const colours = await poll(
      () =>
        map.evaluate((el) => {
          const canvas = el.querySelector('canvas');
          if (!canvas || !canvas.width) return null;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          const seen = new Set();
          for (let i = 0; i < data.length; i += 4 * 97) if (data[i + 3] === 255) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
          // The four risk colours of the legend: red, orange, yellow, blue.
          const wanted = ['215,48,31', '252,141,89', '254,224,139', '69,117,180'];
          const found = wanted.filter((w) => seen.has(w));
          return found.length >= 2 ? found : null;
        }),
      'the risk map shows at least two of the four colours',
    );
    console.log(`# risk colours drawn: ${colours.join(' | ')}`);
    await screenshot(page, 'home-risk.png');
    await gotoOk(page, '/enterprises');
    await page.locator('table#enterprise-table a.enterprise-link').first().click();
    await page.locator('#risk-link').click();
    await page.waitForURL((url) => url.pathname.endsWith('/risks'), { waitUntil: 'load' });
    await page.locator('#risk-profile').waitFor({ state: 'visible' });
  } finally {
    await page.context().close();
  }
});

test('n. enterprise self-check on a phone turns a failed item into a hidden danger; the campaign shows coverage', async () => {
  const page = await newPage(PHONE, 'self-check');
  try {
    await submitLogin(page, 'enterprise', PASSWORD);
    await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await gotoOk(page, '/enterprises');
    await page.locator('table#enterprise-table a.enterprise-link').first().click();
    await page.locator('#check-link').click();
    await page.waitForURL((url) => url.pathname.endsWith('/checks'), { waitUntil: 'load' });
    const form = page.locator('form#checklist-form');
    const items = form.locator('fieldset.check-item');
    assert.ok((await items.count()) >= 5, 'the checklist has items');
    await items.first().locator('input[value=fail]').check();
    await items.first().locator('input[name^=note_]').fill('浏览器测试发现');
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    assert.ok(scrollWidth <= innerWidth + 1, `the check form fits a phone: ${scrollWidth} > ${innerWidth}`);
    await screenshot(page, 'self-check-phone.png');
    await form.locator('button[type=submit]').click();
    const result = page.locator('#run-result');
    await result.waitFor({ state: 'visible' });
    assert.ok(/[1-9]\d*$/.test((await result.textContent()).trim()), 'a hidden danger was reported');
  } finally {
    await page.context().close();
  }
  const office = await newPage(DESKTOP, 'campaign');
  try {
    await login(office);
    await gotoOk(office, '/campaigns');
    await office.locator('a.campaign-link').first().click();
    await office.locator('table#campaign-table').waitFor({ state: 'visible' });
    const coverage = parseFloat(await office.locator('#campaign-coverage').textContent());
    assert.ok(coverage > 0 && coverage < 100, `the demo campaign has partial coverage: ${coverage}%`);
    const map = office.locator('#coverage-map');
    await map.locator('canvas').first().waitFor({ state: 'attached' });
    await poll(
      () => map.evaluate((el) => [...el.querySelectorAll('canvas')].some((c) => {
        const data = c.width ? c.getContext('2d').getImageData(0, 0, c.width, c.height).data : [];
        for (let i = 3; i < data.length; i += 4 * 50) if (data[i] !== 0) return true;
        return false;
      })),
      'the coverage map is drawn',
    );
    await screenshot(office, 'campaign.png');
  } finally {
    await office.context().close();
  }
});

test('o. monitoring: the warning map, live alarms pushed to an enterprise phone, handling an alarm, a sensor chart, registering a source and a sensor', async () => {
  const office = await newPage(DESKTOP, 'monitoring');
  try {
    await login(office);
    await gotoOk(office, '/monitoring');
    const map = office.locator('#warning-map');
    await map.locator('canvas').first().waitFor({ state: 'attached' });
    await poll(
      () =>
        map.evaluate((el) => {
          const canvas = el.querySelector('canvas');
          if (!canvas || !canvas.width) return false;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          const wanted = new Set(['215,48,31', '252,141,89', '254,224,139', '69,117,180']);
          for (let i = 0; i < data.length; i += 4 * 97) if (data[i + 3] === 255 && wanted.has(`${data[i]},${data[i + 1]},${data[i + 2]}`)) return true;
          return false;
        }),
      'the warning map colours a city by its sources\' warning grade',
    );
    assert.ok((await office.locator('table#alarm-table tbody tr').count()) > 0, 'the live demo province has active alarms');
    assert.ok((await office.locator('table#source-table [data-grade]').count()) > 0, 'sources carry warning grades');
    await screenshot(office, 'monitoring.png');
  } finally {
    await office.context().close();
  }

  const phone = await newPage(PHONE, 'monitoring-phone');
  try {
    await submitLogin(phone, 'enterprise', PASSWORD);
    await phone.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
    await gotoOk(phone, '/monitoring');
    await phone.locator('#alarm-live').waitFor({ state: 'attached' });
    // A toxic-gas reading far above high-high, sent by the enterprise's gateway over the API,
    // reaches the open page through the server's push, well before the 30-second fallback.
    // The gateway is another client: a request context without the page's session cookie.
    const api = await request.newContext({ baseURL: BASE_URL });
    const login = await api.post('/api/v1/auth/login', { data: { username: 'enterprise', password: PASSWORD } });
    assert.equal(login.status(), 200);
    const token = (await login.json()).token;
    const sensors = await (await api.get('/api/v1/sensors', { headers: { authorization: `Bearer ${token}` } })).json();
    const gas = sensors.find((s) => s.kind === 'toxic_gas');
    assert.ok(gas, 'the demo enterprise has a toxic-gas detector');
    const before = await phone.locator(`table#alarm-table a[href="/sensors/${gas.code}"]`).count();
    assert.equal(before, 0, 'no alarm at the detector yet');
    const started = Date.now();
    const body = [0, 1, 2].map((i) => `${gas.code} 150 ${Date.now() + 1000 + i * 5000}`).join('\n');
    const posted = await api.post('/api/v1/telemetry', { headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, data: body });
    assert.equal(posted.status(), 200, await posted.text());
    await phone.locator(`table#alarm-table a[href="/sensors/${gas.code}"]`).first().waitFor({ state: 'attached', timeout: 20_000 });
    const elapsed = Date.now() - started;
    console.log(`# pushed alarm shown after ${elapsed} ms`);
    assert.ok(elapsed < 25_000, `the alarm arrived by push, not by the 30 s poll: ${elapsed} ms`);
    const { scrollWidth, innerWidth } = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    assert.ok(scrollWidth <= innerWidth + 1, `the monitoring page fits a phone: ${scrollWidth} > ${innerWidth}`);
    await screenshot(phone, 'monitoring-phone.png');

    // Handle it: acknowledge on the alarm page.
    const row = phone.locator('table#alarm-table tr', { has: phone.locator(`a[href="/sensors/${gas.code}"]`) }).first();
    await row.locator('a.alarm-link').click();
    await phone.waitForURL((url) => url.pathname.startsWith('/alarms/'), { waitUntil: 'load' });
    assert.equal(await phone.locator('#alarm-state').getAttribute('data-state'), 'raised');
    await phone.locator('form#alarm-ack-form button[type=submit]').click();
    await phone.waitForURL((url) => url.pathname.startsWith('/alarms/'), { waitUntil: 'load' });
    // Acknowledged, or already cleared if the simulated detector has read normal for its off-delay since.
    assert.ok(['acknowledged', 'cleared'].includes(await phone.locator('#alarm-state').getAttribute('data-state')));

    // The sensor's page draws its 24-hour chart.
    await gotoOk(phone, `/sensors/${gas.code}`);
    const chart = phone.locator('#sensor-chart');
    await chart.locator('canvas').first().waitFor({ state: 'attached' });
    assert.equal(await phone.locator('#windows').count(), 1, 'one shelving and maintenance section, below the chart');
    assert.equal(await phone.locator('form#window-form').count(), 1, 'the enterprise may ask for a window');
    await screenshot(phone, 'sensor-phone.png');

    // Register a source and one of its sensors through the forms, on the phone: the source is
    // graded by GB 18218 on the spot (200 t of sulphur dioxide, 60 people nearby: 三级).
    await gotoOk(phone, '/monitoring');
    await phone.locator('a#register-source').click();
    await phone.waitForURL((url) => url.pathname === '/hazards/new', { waitUntil: 'load' });
    const sourceForm = phone.locator('form#source-form');
    await sourceForm.locator('input[name=name]').fill(`二氧化硫储罐区${Date.now() % 100000}`);
    await sourceForm.locator('select[name=unit_kind]').selectOption('storage');
    await sourceForm.locator('input[name=people_nearby]').fill('60');
    await sourceForm.locator('input[name=principal_person]').fill('王厂长');
    await sourceForm.locator('input[name=technical_person]').fill('李工');
    await sourceForm.locator('input[name=operating_person]').fill('赵班长');
    await sourceForm.locator('textarea[name=chemicals]').fill('7446-09-5=200');
    await sourceForm.locator('button[type=submit]').click();
    await phone.waitForURL((url) => /^\/hazards\/\d+$/.test(url.pathname), { waitUntil: 'load' });
    assert.equal((await phone.locator('#source-level').innerText()).trim(), '三级');
    await phone.locator('#sensor-add summary').click();
    const sensorForm = phone.locator('form#sensor-form');
    const newCode = `UI-LT-${Date.now() % 100000}`;
    await sensorForm.locator('input[name=code]').fill(newCode);
    await sensorForm.locator('input[name=name]').fill('储罐液位');
    await sensorForm.locator('select[name=kind]').selectOption('level');
    await sensorForm.locator('input[name=unit]').fill('%');
    await sensorForm.locator('input[name=range_min]').fill('0');
    await sensorForm.locator('input[name=range_max]').fill('100');
    await sensorForm.locator('input[name=high]').fill('85');
    await sensorForm.locator('input[name=high_high]').fill('95');
    await sensorForm.locator('input[name=interval_s]').fill('10');
    await sensorForm.locator('button[type=submit]').click();
    await phone.locator(`table#sensor-table a[href="/sensors/${newCode}"]`).waitFor({ state: 'attached' });
    const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(fits, 'the source page with its sensor form fits a phone');
    await screenshot(phone, 'source-registered-phone.png');
    await api.dispose();
  } finally {
    await phone.context().close();
  }
});
