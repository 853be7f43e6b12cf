// Assessment: the office sees the ranking of the 9 cities and a unit's score sheet.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, gotoOk, screenshot } from '../lib/helpers.mjs';

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

  test('office: the scheme edited as a form, its problems in words', async () => {
    const page = await newPage(DESKTOP, 'assessment-scheme');
    try {
      await login(page);
      // Next year's scheme, so that this year's scores stay as the other tests see them.
      const year = new Date().getFullYear() + 1;
      await gotoOk(page, `/assessment/scheme?year=${year}`);
      const form = page.locator('form#scheme-form');
      assert.equal(await page.locator('#scheme-total').textContent(), '100', 'the default scheme adds up to 100');
      const points = form.locator('input[name=points_0]');
      const before = await points.inputValue();
      await points.fill('五十');
      await form.locator('#scheme-save').click();
      await page.locator('#scheme-errors').waitFor({ state: 'visible' });
      assert.ok((await page.locator('#scheme-errors').textContent()).includes('第1行:分值“五十”不是数字'), 'the problem is named by its row, in words');
      assert.equal(await form.locator('input[name=points_0]').inputValue(), '五十', 'what was typed is kept');
      // A total short of 100 is named with the total.
      await form.locator('input[name=points_0]').fill(String(Number(before) - 5));
      assert.equal(await page.locator('#scheme-total').textContent(), '95', 'the form adds up as one types');
      await form.locator('#scheme-save').click();
      await page.locator('#scheme-errors', { hasText: '95' }).waitFor({ state: 'visible' });
      await screenshot(page, 'assessment-scheme-refused.png');
      await form.locator('input[name=points_0]').fill(before);
      await form.locator('#scheme-save').click();
      await page.locator('#scheme-saved').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#scheme-total').textContent(), '100');
    } finally {
      await page.context().close();
    }
  });
});
