// Liability insurance, credit and an accident's follow-ups: the office opens the coverage page,
// records a policy for an uninsured high-risk enterprise with a cover below the minimum (it leaves
// the uninsured list and is flagged) and a prevention service under it; the page reads wholly
// English when English is chosen; a campaign is opened from an accident and listed with it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, DESKTOP, PHONE, useBrowser, newPage, login, gotoOk, screenshot } from '../lib/helpers.mjs';

const number = async (page, selector) => Number((await page.locator(selector).textContent()).trim());
const isoDay = (offsetDays) => new Date(Date.now() + 8 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('insurance', () => {
  useBrowser();

  test('a policy for an uninsured high-risk enterprise takes it off the list and flags a low cover', async () => {
    const page = await newPage(DESKTOP, 'insurance');
    try {
      await login(page);
      await gotoOk(page, '/insurance');
      await page.locator('#insurance-map canvas').first().waitFor({ state: 'attached' });
      const uninsured = await number(page, '#uninsured-count');
      const below = await number(page, '#below-minimum-count');
      assert.ok(uninsured > 0, 'the demo has uninsured high-risk enterprises');
      await screenshot(page, 'insurance-coverage.png');

      await page.locator('#uninsured-table a').first().click();
      await page.waitForURL((url) => /^\/enterprises\/\d+\/insurance$/.test(url.pathname), { waitUntil: 'load' });
      await page.locator('#insurance-missing').waitFor({ state: 'visible' });
      const form = page.locator('form#policy-form');
      await form.locator('input[name=insurer]').fill('中国人民财产保险');
      await form.locator('input[name=policy_number]').fill(`E2E-${Date.now()}`);
      await form.locator('input[name=starts_on]').fill(isoDay(-10));
      await form.locator('input[name=ends_on]').fill(isoDay(354));
      await form.locator('input[name=insured_persons]').fill('60');
      await form.locator('input[name=cover_per_death_yuan]').fill('300000');
      await form.locator('input[name=premium_yuan]').fill('18000');
      await form.locator('button[type=submit]').click();
      await page.locator('#policy-table .below-minimum').first().waitFor({ state: 'visible' });
      assert.equal(await page.locator('#insurance-missing').count(), 0, 'insured now');

      const service = page.locator('form#service-form');
      await service.locator('select[name=kind]').selectOption('training');
      await service.locator('input[name=provider]').fill('人保财险防灾防损中心');
      await service.locator('textarea[name=summary]').fill('浏览器测试:开展全员安全培训');
      await service.locator('button[type=submit]').click();
      await page.locator('#service-table', { hasText: '浏览器测试' }).waitFor({ state: 'visible' });
      await screenshot(page, 'insurance-record.png');

      await gotoOk(page, '/insurance');
      assert.equal(await number(page, '#uninsured-count'), uninsured - 1, 'one fewer uninsured');
      assert.equal(await number(page, '#below-minimum-count'), below + 1, 'one more cover below the minimum');

      // Wholly English when English is chosen: headings, labels and table heads.
      await page.context().addCookies([{ name: 'anwei_lang', value: 'en', url: BASE_URL }]);
      await gotoOk(page, '/insurance');
      const labels = [
        await page.locator('h1').textContent(),
        ...(await page.locator('.stat .label, thead, h2, nav').allTextContents()),
      ].join(' ');
      assert.doesNotMatch(labels, /\p{Script=Han}/u, `no Chinese in the English page's labels: ${labels}`);
    } finally {
      await page.context().close();
    }
  });

  test('the coverage page is usable on a phone', async () => {
    const page = await newPage(PHONE, 'insurance-phone');
    try {
      await login(page);
      await gotoOk(page, '/insurance');
      await page.locator('#insurance-regions').waitFor({ state: 'visible' });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `no sideways scrolling of the page (overflow ${overflow}px)`);
      await screenshot(page, 'insurance-phone.png');
    } finally {
      await page.context().close();
    }
  });

  test('a campaign opened from an accident is listed with it', async () => {
    const page = await newPage(DESKTOP, 'accident-campaign');
    try {
      await login(page);
      await gotoOk(page, '/accidents');
      await page.locator('#accident-table a.accident-link').first().click();
      await page.waitForURL((url) => /^\/accidents\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const accidentPath = new URL(page.url()).pathname;
      await page.locator('#accident-open-campaign').click();
      const form = page.locator('form#campaign-form');
      await form.waitFor({ state: 'visible' });
      assert.ok((await form.locator('input[name=name]').inputValue()).includes('举一反三'), 'the name is filled in');
      await form.locator('input[name=starts_on]').fill(isoDay(0));
      await form.locator('input[name=ends_on]').fill(isoDay(60));
      await form.locator('button[type=submit]').click();
      await page.waitForURL((url) => /^\/campaigns\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const campaignPath = new URL(page.url()).pathname;

      await gotoOk(page, accidentPath);
      const listed = page.locator(`#accident-campaigns a[href="${campaignPath}"]`);
      assert.equal(await listed.count(), 1, 'the campaign is listed with the accident');
      await screenshot(page, 'accident-follow-ups.png');
    } finally {
      await page.context().close();
    }
  });
});
