// Accidents: the office reports a 重大 accident at an enterprise of 四平市; the enterprise is
// listed as seriously untrustworthy, accountability suggests an interview of the city's principal,
// and the city's assessment for the year is vetoed.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, gotoOk, screenshot } from '../lib/helpers.mjs';

describe('accidents', () => {
  useBrowser();

  test('a 重大 accident lists the enterprise, suggests an interview and vetoes the assessment', async () => {
    const page = await newPage(DESKTOP, 'accident');
    try {
      await login(page);
      const year = new Date().getFullYear();
      await gotoOk(page, `/assessment?year=${year}`);
      const siping = page.locator('#ranking-table tr', { hasText: '四平市' });
      assert.equal(await siping.locator('.error-text').count(), 0, '四平市 is not vetoed before');

      await gotoOk(page, '/enterprises?region=220300');
      const href = await page.locator('table#enterprise-table a.enterprise-link').first().getAttribute('href');
      const enterpriseId = href.split('/').pop();

      await gotoOk(page, '/accidents');
      const form = page.locator('form#accident-form');
      await form.locator('input[name=enterprise_id]').fill(enterpriseId);
      const hourAgo = new Date(Date.now() - 3600_000 + 8 * 3600_000).toISOString().slice(0, 16);
      await form.locator('input[name=occurred_at]').fill(hourAgo);
      await form.locator('select[name=kind]').selectOption('other_explosion');
      await form.locator('input[name=deaths]').fill('10');
      await form.locator('textarea[name=summary]').fill('浏览器测试:储罐爆炸');
      await form.locator('button[type=submit]').click();
      await page.waitForURL((url) => /^\/accidents\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      assert.equal((await page.locator('#accident-level').textContent()).trim(), '重大', 'graded 重大 by its deaths');
      await screenshot(page, 'accident.png');

      await gotoOk(page, `/enterprises/${enterpriseId}/credit`);
      await page.locator('#credit-listed').waitFor({ state: 'visible' });
      assert.ok((await page.locator('#credit-grade').textContent()).includes('D'), 'grade D while listed');

      await gotoOk(page, '/accountability');
      assert.ok((await page.locator('#suggestions').textContent()).includes('220300'), 'an interview of 四平市 is suggested');

      await gotoOk(page, `/assessment?year=${year}`);
      assert.equal(await page.locator('#ranking-table tr', { hasText: '四平市' }).locator('.error-text').count(), 1, '四平市 is vetoed');
    } finally {
      await page.context().close();
    }
  });
});
