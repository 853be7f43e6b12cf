// Audit: the auditor (an administrator account) logs in with the one-time code of the TOTP secret
// the demo printed, searches the audit log by action and date, sees the hash chain verified,
// exports CSV, and has no business data.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DESKTOP, PASSWORD, useBrowser, newPage, totp, loginWithCode, demoTotpSecret, screenshot } from '../lib/helpers.mjs';

describe('audit', () => {
  useBrowser();

  test('auditor: second factor, audit log search by date, chain verified, export', async () => {
    const secret = await demoTotpSecret('auditor');
    const page = await newPage(DESKTOP, 'auditor');
    try {
      await loginWithCode(page, 'auditor', PASSWORD, totp(secret));
      await page.locator('a[href="/audit"]').first().click();
      await page.waitForURL((url) => url.pathname === '/audit', { waitUntil: 'load' });
      assert.ok((await page.locator('#chain-status').getAttribute('class')).includes('ok'), 'the hash chain verifies');
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const form = page.locator('form#audit-filter');
      await form.locator('select[name=action]').selectOption('auth.');
      await form.locator('select[name=outcome]').selectOption('success');
      await form.locator('input[name=from]').fill(today);
      await form.locator('input[name=to]').fill(today);
      await Promise.all([page.waitForURL((url) => url.searchParams.get('from') === today, { waitUntil: 'load' }), form.locator('button[type=submit]').click()]);
      // Actions and outcomes read in words; the recorded codes stay on each cell.
      const actions = await page.locator('table#audit-table tbody tr td:nth-child(4)').evaluateAll((cells) => cells.map((c) => [c.dataset.action, c.textContent]));
      assert.ok(actions.length > 0, 'today has sign-ins');
      assert.ok(actions.every(([code]) => code.startsWith('auth.')), `filtered by action: ${actions.slice(0, 5)}`);
      assert.ok(actions.some(([code, words]) => code === 'auth.login' && words === '登录与会话 · 登录'), `in words: ${actions.slice(0, 5)}`);
      const outcomes = await page.locator('table#audit-table tbody tr td:nth-child(6)').allTextContents();
      assert.ok(outcomes.every((o) => o === '成功'), `outcomes in words and filtered: ${outcomes.slice(0, 5)}`);
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
});
