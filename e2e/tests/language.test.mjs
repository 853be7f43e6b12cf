// Language switching: from Chinese to English and back, on an enterprise's detail page.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, gotoOk } from '../lib/helpers.mjs';

describe('language', () => {
  useBrowser();

  let page;
  before(async () => {
    page = await newPage(DESKTOP, 'desktop');
    await login(page);
    // A page with data as well as the shell: the first enterprise's detail page.
    await gotoOk(page, '/enterprises');
    const link = page.locator('table#enterprise-table a.enterprise-link').first();
    await link.waitFor({ state: 'visible' });
    await link.click();
    await page.locator('dl#enterprise-detail').waitFor({ state: 'visible' });
  });
  after(async () => {
    if (page) await page.context().close();
  });

  test('language switch to English and back', async () => {
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
});
