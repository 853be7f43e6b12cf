// Assessment: the office sees the ranking of the 9 cities and a unit's score sheet.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, screenshot } from '../lib/helpers.mjs';

describe('assessment', () => {
  useBrowser();

  test('office: the assessment ranking of the 9 cities and a score sheet', async () => {
    const page = await newPage(DESKTOP, 'assessment');
    try {
      await login(page);
      await page.locator('a[href="/assessment"]').first().click();
      await page.waitForURL((url) => url.pathname === '/assessment', { waitUntil: 'load' });
      const rows = page.locator('table#ranking-table tbody tr');
      assert.equal(await rows.count(), 9, 'nine cities are ranked');
      // Vetoed cities (a recorded veto, and the demo's 重大 and 特别重大 accidents) come last; the
      // others are ranked by total.
      const texts = await rows.allTextContents();
      const vetoed = texts.map((t) => t.includes('一票否决'));
      const firstVetoed = vetoed.indexOf(true);
      assert.ok(firstVetoed > 0, 'some city is vetoed');
      assert.ok(vetoed.slice(firstVetoed).every(Boolean), `vetoed cities are last: ${vetoed}`);
      const totals = await page.locator('table#ranking-table tbody tr td:nth-child(3)').allTextContents();
      const ranked = totals.slice(0, firstVetoed).map(Number);
      assert.deepEqual(ranked, [...ranked].sort((a, b) => b - a), 'ranked by total');
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
});
