// Home pages: the committee office logs in on a desktop and the region map is drawn; each role
// has a home of its own, at phone and desktop width, in both languages.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, poll, screenshot, totp, loginWithCode, demoTotpSecret } from '../lib/helpers.mjs';

const CJK = /[\u3400-\u9fff]/;

describe('home', () => {
  useBrowser();

  test('desktop: login as office and see the region map', async () => {
    const page = await newPage(DESKTOP, 'desktop');
    try {
      await login(page);

      const map = page.locator('#region-map');
      await map.waitFor({ state: 'visible' });
      await map.locator('canvas').first().waitFor({ state: 'attached' });

      const box = await map.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `#region-map is too small: ${JSON.stringify(box)}`);

      // ECharts has actually drawn something: some canvas pixel is not transparent.
      await poll(
        () =>
          map.evaluate((el) =>
            [...el.querySelectorAll('canvas')].some((c) => {
              if (!c.width || !c.height) return false;
              const ctx = c.getContext('2d');
              if (!ctx) return false;
              const data = ctx.getImageData(0, 0, c.width, c.height).data;
              for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
              return false;
            }),
          ),
        'ECharts canvas in #region-map stays blank',
      );

      // The header names the organisation that runs the site (the demo's), the footer its host.
      assert.equal((await page.locator('#site-organisation').textContent()).trim(), '吉林省安全生产委员会办公室');
      assert.ok((await page.locator('#site-hosting-unit').textContent()).includes('主办单位'));
      await screenshot(page, 'home.png');
    } finally {
      await page.context().close();
    }
  });

  // Each role sees its own work first; only the province sees 全省概况.
  const HOMES = [
    ['changchun', 'region', '#home-subdivisions'],
    ['chaoyang', 'region', '#danger-overview'],
    ['enterprise', 'enterprise', '#own-status'],
    ['expert', 'expert', '#home-expert'],
    ['sysadmin', 'admin', '#home-admin'],
  ];
  for (const [username, kind, section] of HOMES) {
    test(`${username}: a ${kind} home at phone and desktop width, in Chinese and English`, async () => {
      // One sign-in (an administrator's one-time code is good once), then both widths.
      const page = await newPage(PHONE, `home-${username}`);
      try {
        if (username === 'sysadmin') {
          await loginWithCode(page, username, PASSWORD, totp(await demoTotpSecret(username)));
        } else {
          await submitLogin(page, username, PASSWORD);
          await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
        }
        for (const [viewport, width] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
          await page.setViewportSize(viewport);
          await gotoOk(page, '/');
          assert.equal(await page.locator('#home-title').getAttribute('data-kind'), kind);
          assert.notEqual((await page.locator('#home-title').textContent()).trim(), '全省概况', 'not the province overview');
          await page.locator(section).waitFor({ state: 'visible' });
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 1, `${username}'s home fits ${width} width (overflow ${overflow}px)`);
          await screenshot(page, `home-${username}-${width}-zh.png`);
          await gotoOk(page, '/lang/en?next=/');
          // Names of places and enterprises are data; the page's own words must be English.
          const words = await page.locator('h1, h2, .stat .label, th, #figures-updated').allTextContents();
          const chinese = words.filter((text) => CJK.test(text.replace(/[^\s·]*[\u3400-\u9fff][^\s·]*(区|市|县|州|公司|厂|局)/g, '')));
          assert.deepEqual(chinese, [], `${username}'s English home has no Chinese outside data`);
          await screenshot(page, `home-${username}-${width}-en.png`);
          await gotoOk(page, '/lang/zh?next=/');
        }
      } finally {
        await page.context().close();
      }
    });
  }
});
