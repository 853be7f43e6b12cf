// Home page: the committee office logs in on a desktop and the region map is drawn.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, poll, screenshot } from '../lib/helpers.mjs';

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

      await screenshot(page, 'home.png');
    } finally {
      await page.context().close();
    }
  });
});
