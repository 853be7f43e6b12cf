// Work plans: the office's work-plan matrix with status colours, the status filter and drill-down
// to an assignment, the matrix on a phone; a department reports progress with evidence from its inbox.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, poll, screenshot } from '../lib/helpers.mjs';

describe('work plans', () => {
  useBrowser();

  test('office: the work-plan matrix with status colours, drill-down, phone layout', async () => {
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

  test('department: report progress with evidence from the inbox', async () => {
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
      const text = '浏览器测试:已组织专项检查,发现问题全部整改。';
      let form = page.locator('form#report-form');
      await form.locator('select[name=period]').selectOption('interim');
      await form.locator('textarea[name=body]').fill(text);
      // An executable renamed .pdf is refused by its bytes, and the typed report survives.
      await form.locator('input[name=files]').setInputFiles({ name: 'fake.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
      await form.locator('button[type=submit]').click();
      await poll(async () => (await page.locator('main').textContent()).includes('fake.pdf'), 'the refusal names the file');
      form = page.locator('form#report-form');
      assert.equal(await form.locator('textarea[name=body]').inputValue(), text, 'the report text is kept');
      assert.equal(await form.locator('select[name=period]').inputValue(), 'interim', 'the period is kept');
      assert.equal(await page.locator('#reports article.report').count(), before, 'nothing was filed');
      await form.locator('input[name=files]').setInputFiles({ name: '检查记录.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 test') });
      await form.locator('button[type=submit]').click();
      await poll(async () => (await page.locator('#reports article.report').count()) === before + 1, 'the new report appears');
      assert.ok((await page.locator('#reports').textContent()).includes('检查记录.pdf'), 'the evidence is listed');
      await screenshot(page, 'assignment-phone.png');
    } finally {
      await page.context().close();
    }
  });
});
