// Monitoring: the warning map and alarm table for the office; on an enterprise phone, an alarm
// pushed live after telemetry sent over the API, acknowledging it, a sensor's chart, and registering
// a major hazard source (graded on the spot) and one of its sensors through the forms.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'playwright-core';
import { BASE_URL, DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, poll, screenshot } from '../lib/helpers.mjs';

describe('monitoring', () => {
  useBrowser();

  test('monitoring: the warning map, live alarms pushed to an enterprise phone, handling an alarm, a sensor chart, registering a source and a sensor', async () => {
    const office = await newPage(DESKTOP, 'monitoring');
    try {
      await login(office);
      await gotoOk(office, '/monitoring');
      const map = office.locator('#warning-map');
      await map.locator('canvas').first().waitFor({ state: 'attached' });
      await poll(
        () =>
          map.evaluate((el) => {
            const canvas = el.querySelector('canvas');
            if (!canvas || !canvas.width) return false;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            const wanted = new Set(['215,48,31', '252,141,89', '254,224,139', '69,117,180']);
            for (let i = 0; i < data.length; i += 4 * 97) if (data[i + 3] === 255 && wanted.has(`${data[i]},${data[i + 1]},${data[i + 2]}`)) return true;
            return false;
          }),
        'the warning map colours a city by its sources\' warning grade',
      );
      assert.ok((await office.locator('table#alarm-table tbody tr').count()) > 0, 'the live demo province has active alarms');
      assert.ok((await office.locator('table#source-table [data-grade]').count()) > 0, 'sources carry warning grades');
      await screenshot(office, 'monitoring.png');
    } finally {
      await office.context().close();
    }

    // The phone is set to New York's time zone: the platform's times stay China's on it.
    const phone = await newPage(PHONE, 'monitoring-phone', { timezoneId: 'America/New_York' });
    try {
      await submitLogin(phone, 'enterprise', PASSWORD);
      await phone.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(phone, '/monitoring');
      await phone.locator('#alarm-live').waitFor({ state: 'attached' });
      // A toxic-gas reading far above high-high, sent by the enterprise's gateway over the API,
      // reaches the open page through the server's push, well before the 30-second fallback.
      // The gateway is another client: a request context without the page's session cookie.
      const api = await request.newContext({ baseURL: BASE_URL });
      const login = await api.post('/api/v1/auth/login', { data: { username: 'enterprise', password: PASSWORD } });
      assert.equal(login.status(), 200);
      const token = (await login.json()).token;
      const sensors = await (await api.get('/api/v1/sensors', { headers: { authorization: `Bearer ${token}` } })).json();
      const gas = sensors.find((s) => s.kind === 'toxic_gas');
      assert.ok(gas, 'the demo enterprise has a toxic-gas detector');
      const before = await phone.locator(`table#alarm-table a[href="/sensors/${gas.code}"]`).count();
      assert.equal(before, 0, 'no alarm at the detector yet');
      const started = Date.now();
      const body = [0, 1, 2].map((i) => `${gas.code} 150 ${Date.now() + 1000 + i * 5000}`).join('\n');
      const posted = await api.post('/api/v1/telemetry', { headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, data: body });
      assert.equal(posted.status(), 200, await posted.text());
      await phone.locator(`table#alarm-table a[href="/sensors/${gas.code}"]`).first().waitFor({ state: 'attached', timeout: 20_000 });
      const elapsed = Date.now() - started;
      console.log(`pushed alarm shown after ${elapsed} ms`);
      assert.ok(elapsed < 25_000, `the alarm arrived by push, not by the 30 s poll: ${elapsed} ms`);
      const { scrollWidth, innerWidth } = await phone.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      assert.ok(scrollWidth <= innerWidth + 1, `the monitoring page fits a phone: ${scrollWidth} > ${innerWidth}`);
      await screenshot(phone, 'monitoring-phone.png');

      // A new critical alarm opens a pop-up over the list (and sounds, once sound is turned on).
      const popup = phone.locator('#alarm-popup');
      await popup.waitFor({ state: 'visible' });
      assert.ok((await popup.locator('ul a').count()) >= 1, 'the pop-up links the new alarm');
      await screenshot(phone, 'monitoring-alarm-popup-phone.png');
      await popup.locator('button[type=submit]').click();
      await popup.waitFor({ state: 'hidden' });
      // HH reads as HH; on a phone each alarm is a card with its acknowledge button.
      const row = phone.locator('table#alarm-table tr', { has: phone.locator(`a[href="/sensors/${gas.code}"]`) }).first();
      assert.equal(await row.getAttribute('data-severity'), 'critical');
      assert.match(await row.textContent(), /HH/);
      const alarmPath = await row.locator('a.alarm-link').getAttribute('href');
      await row.locator('form.alarm-ack button[type=submit]').click();
      await phone.waitForURL((url) => url.pathname === '/monitoring', { waitUntil: 'load' });
      await gotoOk(phone, alarmPath);
      // Acknowledged, or already cleared if the simulated detector has read normal for its off-delay since.
      assert.ok(['acknowledged', 'cleared'].includes(await phone.locator('#alarm-state').getAttribute('data-state')));
      // The danger the alarm revealed is reported in one step from the alarm, drafted from it.
      const dangerForm = phone.locator('form#alarm-danger-form');
      assert.ok((await dangerForm.locator('textarea[name=description]').inputValue()).includes(gas.code), 'the draft names the sensor');
      // Past the browser's own check, the server names what is missing and keeps what was typed.
      await dangerForm.evaluate((form) => { form.noValidate = true; });
      await dangerForm.locator('button[type=submit]').click();
      await phone.locator('#alarm-danger .error').waitFor({ state: 'visible' });
      assert.ok((await phone.locator('form#alarm-danger-form textarea[name=description]').inputValue()).includes(gas.code), 'a refusal keeps the form');
      await phone.locator('form#alarm-danger-form input[name=responsible_person]').fill('安全员');
      await phone.locator('form#alarm-danger-form button[type=submit]').click();
      await phone.waitForURL((url) => /^\/dangers\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      assert.equal(await phone.locator('#danger-state').getAttribute('data-state'), 'reported');

      // The sensor's page draws its 24-hour chart.
      await gotoOk(phone, `/sensors/${gas.code}`);
      const chart = phone.locator('#sensor-chart');
      await chart.locator('canvas').first().waitFor({ state: 'attached' });
      assert.equal(await phone.locator('#windows').count(), 1, 'one shelving and maintenance section, below the chart');
      assert.equal(await phone.locator('form#window-form').count(), 1, 'the enterprise may ask for a window');
      await screenshot(phone, 'sensor-phone.png');

      // Another span: the last 7 days, kept in the URL, in 10-minute buckets.
      await phone.locator('#readings nav a[href$="range=7d#readings"]').click();
      await phone.waitForURL((url) => url.searchParams.get('range') === '7d', { waitUntil: 'load' });
      assert.equal(await phone.locator('#readings nav a[aria-current]').getAttribute('href'), `/sensors/${gas.code}?range=7d#readings`);
      assert.match(await phone.locator('#span-words').textContent(), /近7天.*按10分钟统计/);
      assert.match(await chart.getAttribute('data-history-url'), /bucket=600000$/);
      await chart.locator('canvas').first().waitFor({ state: 'attached' });
      // Days the wrong way round are refused in words, and the days typed stay in the form.
      await phone.locator('#span-form input[name=from]').fill('2026-03-05');
      await phone.locator('#span-form input[name=to]').fill('2026-03-01');
      await phone.locator('#span-form button[type=submit]').click();
      await phone.locator('#span-error').waitFor();
      assert.match(await phone.locator('#span-error').textContent(), /起始日期应不晚于结束日期/);
      assert.equal(await phone.locator('#span-form input[name=from]').inputValue(), '2026-03-05');
      // The last hour's chart: its tooltip reads China's time, not the phone's (New York's, 12
      // or 13 hours behind), within the span drawn.
      await phone.goto(`/sensors/${gas.code}?range=1h`);
      const chinaText = (ms) => new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
      const [drawnFrom, drawnTo] = [Number(await chart.getAttribute('data-from')), Number(await chart.getAttribute('data-to'))];
      await chart.locator('canvas').first().waitFor({ state: 'attached' });
      const box = await chart.boundingBox();
      await chart.hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
      const tooltip = chart.locator('div', { hasText: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/ }).last();
      await tooltip.waitFor({ state: 'visible' });
      const shown = (await tooltip.textContent()).match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/)[0];
      assert.ok(shown >= chinaText(drawnFrom - 10_000) && shown <= chinaText(drawnTo), `the tooltip's ${shown} lies in ${chinaText(drawnFrom)}–${chinaText(drawnTo)}, China time`);
      // Every reading of the hour drawn, taken away as CSV, a line each: the link carries the
      // moment the chart was drawn, so a later click exports the same hour.
      const csvLink = phone.locator('#readings-export a[href*="readings.csv?range=1h&until="]:not([href*="detail="])');
      assert.equal(new URL(await csvLink.getAttribute('href'), BASE_URL).searchParams.get('until'), String(drawnTo));
      const [download] = await Promise.all([phone.waitForEvent('download'), csvLink.click()]);
      const text = await readFile(await download.path(), 'utf8');
      assert.ok(text.startsWith('\ufeff'), 'a BOM, for Excel');
      const csv = text.trim().split(/\r?\n/);
      assert.match(csv[0], /^时间,读数 \(/, `a heading per column, the reading's with its unit: ${csv[0]}`);
      assert.ok(csv.length > 1 && csv.slice(1).every((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,-?\d/.test(line)), `one line a reading: ${csv.slice(0, 3)}`);
      assert.ok(csv.slice(1).every((line) => line.slice(0, 19) <= chinaText(drawnTo)), `no reading after the hour drawn: ${csv.at(-1)}`);

      // Register a source and one of its sensors through the forms, on the phone: the source is
      // graded by GB 18218 on the spot (200 t of sulphur dioxide, 60 people nearby: 三级).
      await gotoOk(phone, '/monitoring');
      await phone.locator('a#register-source').click();
      await phone.waitForURL((url) => url.pathname === '/hazards/new', { waitUntil: 'load' });
      const sourceForm = phone.locator('form#source-form');
      await sourceForm.locator('input[name=name]').fill(`二氧化硫储罐区${Date.now() % 100000}`);
      await sourceForm.locator('select[name=unit_kind]').selectOption('storage');
      await sourceForm.locator('input[name=people_nearby]').fill('60');
      await sourceForm.locator('input[name=principal_person]').fill('王厂长');
      await sourceForm.locator('input[name=technical_person]').fill('李工');
      await sourceForm.locator('input[name=operating_person]').fill('赵班长');
      await sourceForm.locator('textarea[name=chemicals]').fill('7446-09-5=200');
      await sourceForm.locator('button[type=submit]').click();
      await phone.waitForURL((url) => /^\/hazards\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      assert.equal((await phone.locator('#source-level').innerText()).trim(), '三级');
      await phone.locator('#sensor-add summary').click();
      const sensorForm = phone.locator('form#sensor-form');
      const newCode = `UI-LT-${Date.now() % 100000}`;
      await sensorForm.locator('input[name=code]').fill(newCode);
      await sensorForm.locator('input[name=name]').fill('储罐液位');
      await sensorForm.locator('select[name=kind]').selectOption('level');
      await sensorForm.locator('input[name=unit]').fill('%');
      await sensorForm.locator('input[name=range_min]').fill('0');
      await sensorForm.locator('input[name=range_max]').fill('100');
      await sensorForm.locator('input[name=high]').fill('85');
      await sensorForm.locator('input[name=high_high]').fill('95');
      await sensorForm.locator('input[name=interval_s]').fill('10');
      await sensorForm.locator('button[type=submit]').click();
      await phone.locator(`table#sensor-table a[href="/sensors/${newCode}"]`).waitFor({ state: 'attached' });
      const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
      assert.ok(fits, 'the source page with its sensor form fits a phone');
      await screenshot(phone, 'source-registered-phone.png');
      await api.dispose();
    } finally {
      await phone.context().close();
    }
  });
});
