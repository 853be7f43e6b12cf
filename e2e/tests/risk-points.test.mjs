// Risk points: the four-colour risk map on the home page, and an enterprise's risk profile.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, useBrowser, newPage, login, gotoOk, poll, screenshot } from '../lib/helpers.mjs';

describe('risk points', () => {
  useBrowser();

  test('the four-colour risk map on the home page, and an enterprise risk profile', async () => {
    const page = await newPage(DESKTOP, 'risk');
    try {
      await login(page);
      const map = page.locator('#risk-map');
      await map.waitFor({ state: 'visible' });
      await map.locator('canvas').first().waitFor({ state: 'attached' });
      const colours = await poll(
        () =>
          map.evaluate((el) => {
            const canvas = el.querySelector('canvas');
            if (!canvas || !canvas.width) return null;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const seen = new Set();
            for (let i = 0; i < data.length; i += 4 * 97) if (data[i + 3] === 255) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
            // The four risk colours of the legend: red, orange, yellow, blue.
            const wanted = ['215,48,31', '252,141,89', '254,224,139', '69,117,180'];
            const found = wanted.filter((w) => seen.has(w));
            return found.length >= 2 ? found : null;
          }),
        'the risk map shows at least two of the four colours',
      );
      console.log(`risk colours drawn: ${colours.join(' | ')}`);
      await screenshot(page, 'home-risk.png');
      await gotoOk(page, '/enterprises');
      await page.locator('table#enterprise-table a.enterprise-link').first().click();
      await page.locator('#risk-link').click();
      await page.waitForURL((url) => url.pathname.endsWith('/risks'), { waitUntil: 'load' });
      await page.locator('#risk-profile').waitFor({ state: 'visible' });
    } finally {
      await page.context().close();
    }
  });
});
