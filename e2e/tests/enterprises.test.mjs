// Enterprises: the list and its filter, an enterprise's detail page (desktop), and the list
// on a phone without horizontal overflow.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, useBrowser, newPage, login, gotoOk, screenshot } from '../lib/helpers.mjs';

describe('enterprises', () => {
  useBrowser();

  describe('desktop', () => {
    /** One logged-in page, shared by the list and the detail test. */
    let page;
    before(async () => {
      page = await newPage(DESKTOP, 'desktop');
      await login(page);
    });
    after(async () => {
      if (page) await page.context().close();
    });

    test('enterprise list and filter', async () => {
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
      console.log(`filter 化工: ${visibleNames.length} row(s)`);
      await screenshot(page, 'enterprises.png');
    });

    test('enterprise detail page', async () => {
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
  });

  test('phone viewport: enterprise list has no horizontal overflow', async () => {
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
});
