// Checklists and campaigns: an enterprise's self-check on a phone turns a failed item into a hidden
// danger; the office sees a campaign's coverage table and map.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, poll, screenshot } from '../lib/helpers.mjs';

describe('checklists', () => {
  useBrowser();

  test('enterprise self-check on a phone turns a failed item into a hidden danger; the campaign shows coverage', async () => {
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
      assert.equal(await form.locator('input[type=radio]:checked').count(), 0, 'no item starts answered');
      const count = await items.count();
      for (let i = 1; i < count; i += 1) {
        await items.nth(i).locator('input[value=pass]').check();
      }
      await items.first().locator('input[value=fail]').check();
      await items.first().locator('textarea[name^=note_]').fill('浏览器测试发现');
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      assert.ok(scrollWidth <= innerWidth + 1, `the check form fits a phone: ${scrollWidth} > ${innerWidth}`);
      await screenshot(page, 'self-check-phone.png');
      await form.locator('button[type=submit]').click();
      await page.waitForURL((url) => /^\/checks\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      assert.equal(await page.locator('table.cards tr.failed a[href^="/dangers/"]').count(), 1, 'the failed item reported a hidden danger');
    } finally {
      await page.context().close();
    }
    const office = await newPage(DESKTOP, 'campaign');
    try {
      await login(office);
      await gotoOk(office, '/campaigns');
      // The demo's campaign (other tests may open campaigns of their own).
      await office.locator('a.campaign-link', { hasText: '生命通道' }).first().click();
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
});
