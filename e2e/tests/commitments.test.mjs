// Daily safety commitments as the provincial office reads them: today's filing per city with the
// province's total, the last week's rates, the missing list paged with the chosen city kept in
// the URL, and a city's regulator held to its own territory.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, submitLogin, gotoOk, screenshot } from '../lib/helpers.mjs';

const count = async (locator) => Number((await locator.textContent()).trim());

describe('commitments', () => {
  useBrowser();

  test('the office reads filing by city, narrows the paged list to a city; a city regulator stays in its own', async () => {
    const office = await newPage(DESKTOP, 'commitments-office');
    const city = await newPage(PHONE, 'commitments-city');
    try {
      await submitLogin(office, 'office', PASSWORD);
      await office.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(office, '/commitments');
      const rows = office.locator('#filing-table tbody tr');
      assert.equal(await rows.count(), 9, 'the nine cities');
      // The cities add up to the total, and the total's "not filed" is the list's count.
      const column = async (n) => {
        let sum = 0;
        for (const cell of await rows.locator(`td:nth-child(${n})`).all()) { sum += await count(cell); }
        return sum;
      };
      const [due, filed] = [await column(2), await column(3)];
      assert.equal(await count(office.locator('#filing-table tfoot td:nth-child(2)')), due);
      assert.equal(await count(office.locator('#filing-table tfoot td:nth-child(3)')), filed);
      assert.ok(filed > 0 && filed < due, `the demo has filed and missing commitments (${filed} of ${due})`);
      const missing = await count(office.locator('#missing-count'));
      assert.equal(missing, due - filed);
      assert.equal(await office.locator('#trend-table tbody td').count(), 7, 'the last seven days');
      assert.ok(await office.locator('#missing-table tbody tr').count() <= 50, 'one page of the list');
      await screenshot(office, 'commitments-desktop.png');

      // Page two keeps its place in the URL.
      await office.locator('#missing nav.pager a').last().click();
      await office.waitForURL((url) => url.searchParams.get('page') === '2', { waitUntil: 'load' });

      // A city narrows the list to its enterprises, and its figure is the row's.
      const changchun = rows.filter({ hasText: '长春市' });
      const changchunMissing = await count(changchun.locator('td:nth-child(4)'));
      await changchun.locator('a').click();
      await office.waitForURL((url) => url.searchParams.get('region') === '220100', { waitUntil: 'load' });
      assert.equal(await count(office.locator('#missing-count')), changchunMissing);
      assert.match(await office.locator('#missing h2').textContent(), /长春市/);
      assert.equal(await office.locator('#filing-table tr[aria-current]').count(), 1, 'the chosen city is marked');
      assert.match(await office.locator('#missing a.button').getAttribute('href'), /missing\.xlsx\?region=220100$/, 'the export keeps the city');

      // A city's regulator reads its districts, and not another city.
      await submitLogin(city, 'jilinshi', PASSWORD);
      await city.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(city, '/commitments');
      const districts = await city.locator('#filing-table tbody tr td:first-child a').evaluateAll((links) => links.map((a) => new URL(a.href).searchParams.get('region')));
      assert.ok(districts.length > 1 && districts.every((code) => code.startsWith('2202')), `Jilin city's districts: ${districts}`);
      const other = await city.goto('/commitments?region=220100');
      assert.equal(other.status(), 404, "another city's list is not there");
      await gotoOk(city, '/commitments');
      await screenshot(city, 'commitments-phone.png');
    } finally {
      await office.context().close();
      await city.context().close();
    }
  });
});
