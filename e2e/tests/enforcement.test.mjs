// Enforcement: an inspector records an inspection on a phone (a finding and a photo) and the
// finding becomes a hidden danger of the enterprise; the office sees a complete jurisdiction and a
// plan whose draw re-verifies from its seed.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, screenshot } from '../lib/helpers.mjs';

// The smallest PNG: one transparent pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe('enforcement', () => {
  useBrowser();

  test('an inspection recorded on a phone turns a finding into a hidden danger', async () => {
    const page = await newPage(PHONE, 'inspection');
    try {
      await submitLogin(page, 'inspector', PASSWORD);
      await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(page, '/inspections');
      const visits = page.locator('#my-visits a.record-link');
      assert.ok((await visits.count()) > 0, 'the inspector has visits to make');
      await visits.first().click();
      await page.waitForURL((url) => url.pathname === '/inspections/new', { waitUntil: 'load' });
      const form = page.locator('form#inspection-form');
      await form.locator('input[name=finding_1_description]').fill('浏览器测试:消防通道堵塞');
      await form.locator('input[name=finding_1_location]').fill('仓库北侧');
      await form.locator('input[name=summary], textarea[name=summary]').fill('现场检查');
      await form.locator('input[name=photos]').setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: PNG });
      await form.locator('input[name=signed_by]').fill('李安全');
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      assert.ok(scrollWidth <= innerWidth + 1, `the inspection form fits a phone: ${scrollWidth} > ${innerWidth}`);
      await screenshot(page, 'inspection-phone.png');
      await form.locator('button[type=submit]').click();
      await page.waitForURL((url) => /^\/inspections\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const dangers = page.locator('#inspection-dangers a.danger-link');
      assert.equal(await dangers.count(), 1, 'one hidden danger from the finding');
      assert.ok((await page.locator('img[src^="/inspection-photos/"]').count()) === 1, 'the photo is kept');
      await dangers.first().click();
      await page.waitForURL((url) => /^\/dangers\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const body = await page.locator('main').textContent();
      assert.ok(body.includes('浏览器测试:消防通道堵塞'), 'the danger carries the finding');
      assert.ok(body.includes('执法检查'), 'the danger comes from an inspection');
    } finally {
      await page.context().close();
    }
  });

  test('the office sees every enterprise with exactly one office and a draw that re-verifies', async () => {
    const page = await newPage(DESKTOP, 'jurisdiction');
    try {
      await login(page);
      await gotoOk(page, '/enforcement');
      assert.equal((await page.locator('#unassigned-count').textContent()).trim(), '0');
      assert.equal((await page.locator('#overlapping-count').textContent()).trim(), '0');
      await screenshot(page, 'jurisdiction.png');
      await gotoOk(page, '/inspection-plans');
      await page.locator('a.plan-link').first().click();
      await page.waitForURL((url) => /^\/inspection-plans\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      assert.equal(await page.locator('#draw-verified .ok').count(), 1, 'the draw re-verifies from its seed');
      await gotoOk(page, '/published-draws');
      assert.ok((await page.locator('section.published-draw').count()) >= 3, 'a published draw for each tier');
    } finally {
      await page.context().close();
    }
  });
});
