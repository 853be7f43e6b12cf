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

  test('the office writes its own checklist from an Excel-style import, each problem named by its line', async () => {
    const page = await newPage(DESKTOP, 'checklist-editor');
    try {
      await login(page);
      await gotoOk(page, '/checklists');
      await page.locator('#checklist-new').click();
      await page.waitForURL((url) => url.pathname === '/checklists/new', { waitUntil: 'load' });
      const form = page.locator('form#checklist-editor');
      await form.locator('input[name=name]').fill('浏览器测试企业主体责任清单');
      // A file with a consequence the editor does not know: refused by its line, the form kept.
      const bad = '序号,检查内容,检查依据,后果(一般/重大)\n1,是否建立全员安全生产责任制,安全生产法第二十二条,重大\n2,是否每年开展应急演练,,严重\n';
      await form.locator('input[name=file]').setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
      await form.locator('button[value=import]').click();
      const errors = page.locator('#editor-errors');
      await errors.waitFor({ state: 'visible' });
      assert.ok((await errors.textContent()).includes('第3项(行)'), 'the problem names its line');
      assert.equal(await form.locator('input[name=name]').inputValue(), '浏览器测试企业主体责任清单', 'the name is kept');
      await screenshot(page, 'checklist-editor-refused.png');
      const good = bad.replace('严重', '一般');
      await form.locator('input[name=file]').setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
      await form.locator('button[value=import]').click();
      await page.locator('#editor-notice').waitFor({ state: 'visible' });
      assert.equal(await form.locator('textarea[name=item_1]').inputValue(), '是否每年开展应急演练', 'the file is read into the form for review');
      // An item with a basis but no text is refused by its place on the form.
      await form.locator('textarea[name=item_1]').fill('');
      await form.locator('#checklist-save').click();
      await page.locator('#editor-errors', { hasText: '第2项' }).waitFor({ state: 'visible' });
      await form.locator('textarea[name=item_1]').fill('是否每年开展应急演练');
      await form.locator('#checklist-save').click();
      await page.waitForURL((url) => url.pathname === '/checklists', { waitUntil: 'load' });
      const saved = page.locator('section.checklist', { hasText: '浏览器测试企业主体责任清单' });
      assert.equal(await saved.locator('li').count(), 2, 'the checklist holds the two items');
      assert.equal(await saved.locator('a[id^=checklist-edit-]').count(), 1, 'the office may edit its own checklist');
      assert.equal(await page.locator('section.checklist', { hasText: '消防车通道检查清单' }).locator('a[id^=checklist-edit-]').count(), 0, 'not a shipped one');
    } finally {
      await page.context().close();
    }
  });
});
