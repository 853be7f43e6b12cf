// A field check on a phone, as an inspector does it at an enterprise: every item starts
// unanswered, progress counts the answers, a failed item takes a note and a photo from the
// camera, the position and time are recorded, the enterprise's representative signs on the
// screen, a submission made without a connection is kept on the device and sent when the
// connection returns, and the record comes as a PDF that a PDF reader (Mozilla's pdf.js) opens.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PHONE, PASSWORD, useBrowser, newPage, submitLogin, gotoOk, poll, screenshot, pathnameOf } from '../lib/helpers.mjs';

const CJK = /[\u3400-\u9fff]/;
const POSITION = { latitude: 43.886841, longitude: 125.324501, accuracy: 12 };

/** The text of every page of a PDF and the number of images drawn in it, read by pdf.js. */
async function readPdf(bytes) {
  const pdf = await getDocument({ data: new Uint8Array(bytes), isEvalSupported: false }).promise;
  let text = '';
  let images = 0;
  for (let n = 1; n <= pdf.numPages; n += 1) {
    const page = await pdf.getPage(n);
    text += (await page.getTextContent()).items.map((item) => item.str).join('') + '\n';
    const operators = await page.getOperatorList();
    images += operators.fnArray.filter((op) => op === OPS.paintImageXObject).length;
  }
  return { pages: pdf.numPages, text, images };
}

describe('field check', () => {
  useBrowser();

  test('an inspection on a phone: unanswered items, photo, position, signature, offline keep, PDF', async () => {
    const page = await newPage(PHONE, 'field-check', { geolocation: POSITION, permissions: ['geolocation'] });
    try {
      await submitLogin(page, 'inspector', PASSWORD);
      await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(page, '/enterprises');
      await page.locator('table#enterprise-table a.enterprise-link').first().click();
      await page.waitForURL((url) => /^\/enterprises\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const enterpriseName = (await page.locator('main h1').first().textContent()).trim();
      await page.locator('#check-link').click();
      await page.waitForURL((url) => url.pathname.endsWith('/checks'), { waitUntil: 'load' });
      const checksPath = pathnameOf(page);

      const form = page.locator('form#checklist-form');
      const items = form.locator('fieldset.check-item');
      const count = await items.count();
      assert.ok(count >= 5, 'the checklist has items');
      assert.equal(await form.locator('input[type=radio]:checked').count(), 0, 'no item is answered before the inspector answers it');
      assert.equal((await page.locator('#check-progress-text').textContent()).trim().replace(/\s+/g, ' '), `已答 0 / ${count}`);
      await poll(async () => (await page.locator('#check-position').textContent()).includes('43.886841'), 'the position is read from the device');

      // Sending with items unanswered is refused by the form itself.
      await form.locator('button[type=submit]').click();
      assert.equal(pathnameOf(page), checksPath, 'nothing is sent while items are unanswered');
      assert.ok(!(await items.first().locator('input[value=pass]').evaluate((input) => input.validity.valid)), 'the first item is marked as needing an answer');

      // Every item passes but the first, which fails with a note and a photo from the camera.
      for (let i = 1; i < count; i += 1) {
        await items.nth(i).locator('label.choice.pass').click();
      }
      const first = items.first();
      assert.ok(await first.locator('.fail-detail').isHidden(), 'a passed or unanswered item asks for no detail');
      await first.locator('label.choice.fail').click();
      await first.locator('.fail-detail').waitFor({ state: 'visible' });
      await first.locator('textarea[name^=note_]').fill('浏览器测试:储罐区可燃气体报警器未投用');
      const photo = await page.evaluate(() => {
        const canvas = document.createElement('canvas');
        canvas.width = 2400;
        canvas.height = 1800;
        const ink = canvas.getContext('2d');
        ink.fillStyle = '#c0392b';
        ink.fillRect(0, 0, 2400, 1800);
        ink.fillStyle = '#fff';
        ink.fillRect(600, 450, 1200, 900);
        return canvas.toDataURL('image/jpeg', 0.9).split(',')[1];
      });
      await first.locator('input[type=file]').setInputFiles({ name: 'camera.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo, 'base64') });
      await poll(async () => (await first.locator('.photo-previews img').getAttribute('src') || '').startsWith('data:image/jpeg'), 'the photo is shown scaled down');
      assert.equal((await page.locator('#check-progress-text').textContent()).trim().replace(/\s+/g, ' '), `已答 ${count} / ${count}`);

      // An inspection needs the representative's signature: drawn on the screen.
      await form.locator('input[name=signed_by]').fill('李安全');
      const pad = page.locator('#signature-pad');
      await pad.scrollIntoViewIfNeeded();
      const box = await pad.boundingBox();
      await page.mouse.move(box.x + 20, box.y + box.height / 2);
      await page.mouse.down();
      for (let step = 1; step <= 12; step += 1) {
        await page.mouse.move(box.x + 20 + step * (box.width - 40) / 12, box.y + box.height / 2 + (step % 2 ? -25 : 25));
      }
      await page.mouse.up();
      assert.ok((await form.locator('input[name=signature_data]').inputValue()).startsWith('data:image/png;base64,'), 'the signature is taken');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the field check fits a phone (overflow ${overflow}px)`);
      await screenshot(page, 'field-check-phone.png');

      // No connection: the check is kept on the device, and sent when the connection returns.
      await page.context().setOffline(true);
      await form.locator('button[type=submit]').click();
      await poll(async () => (await page.locator('#check-offline').textContent()).includes('已保存在本机'), 'the check is kept on the device');
      assert.equal(pathnameOf(page), checksPath);
      const kept = await page.evaluate(() => new Promise((resolve) => {
        const opening = indexedDB.open('anwei-pending', 1);
        opening.onsuccess = () => {
          const request = opening.result.transaction('checks').objectStore('checks').getAll();
          request.onsuccess = () => resolve(request.result.map((record) => ({
            sealed: record.sealed,
            // Everything kept, as text, to look for what was typed.
            text: record.entries.map((entry) => (Array.isArray(entry) ? String(entry[1]) : new TextDecoder().decode(entry.data))).join('\n'),
          })));
        };
      }));
      assert.equal(kept.length, 1, 'one submission waits on the device');
      assert.ok(kept[0].sealed, 'kept encrypted with the signed-in person\'s device key');
      assert.ok(!kept[0].text.includes('李安全') && !kept[0].text.includes('可燃气体报警器未投用'), 'nothing typed is readable on the device');
      await page.context().setOffline(false);
      await page.waitForURL((url) => /^\/checks\/\d+$/.test(url.pathname), { waitUntil: 'load', timeout: 30_000 });
      const recordPath = pathnameOf(page);

      // The record: the position, the failed item with its photo, the signature, and the danger.
      assert.ok((await page.locator('#check-recorded-position').textContent()).includes('43.886841'), 'the position is on the record');
      const failedRow = page.locator('table.cards tr.failed');
      assert.equal(await failedRow.count(), 1, 'one item failed');
      assert.ok((await failedRow.textContent()).includes('可燃气体报警器未投用'));
      await poll(() => failedRow.locator('img.thumb').evaluate((img) => img.complete && img.naturalWidth > 0), 'the photo is kept with the failed item');
      assert.ok(await failedRow.locator('a[href^="/dangers/"]').count() === 1, 'the failed item reported a hidden danger');
      await poll(() => page.locator('img.signature-image').evaluate((img) => img.complete && img.naturalWidth > 0), 'the signature is shown');
      await screenshot(page, 'check-record-phone.png');

      // A retried submission of the same check is recorded once: the kept one is gone.
      const left = await page.evaluate(() => new Promise((resolve) => {
        const opening = indexedDB.open('anwei-pending', 1);
        opening.onsuccess = () => {
          const request = opening.result.transaction('checks').objectStore('checks').count();
          request.onsuccess = () => resolve(request.result);
        };
      }));
      assert.equal(left, 0, 'nothing waits on the device once it is sent');

      // A check kept under a key this person no longer has (the server's key was replaced) is
      // said to be unopenable, with when it was kept, and stays on the device; nothing is sent.
      const keptUnder = (mode) => page.evaluate((mode) => new Promise((resolve) => {
        const opening = indexedDB.open('anwei-pending', 1);
        opening.onsuccess = () => {
          const store = opening.result.transaction('checks', 'readwrite').objectStore('checks');
          const request = mode === 'add'
            ? store.put({ id: 'kept-under-old-key', user: document.body.dataset.user, url: location.pathname, sealed: true, entries: [{ name: 'note', iv: new Uint8Array(12), data: new Uint8Array(32).buffer, file: null, type: null }], kept_at: Date.UTC(2026, 0, 2, 1, 0, 0) })
            : store.count();
          request.onsuccess = () => resolve(request.result);
        };
      }), mode);
      await keptUnder('add');
      await page.reload();
      await page.locator('#pending-unopened').waitFor();
      assert.match(await page.locator('#pending-unopened').textContent(), /无法用您当前的密钥解开.*2026-01-02 09:00:00/);
      assert.equal(await keptUnder('count'), 1, 'the unopenable check stays on the device');
      // Its author may remove it from the device.
      await page.locator('#pending-discard').click();
      await page.locator('#pending-unopened').waitFor({ state: 'detached' });
      assert.equal(await keptUnder('count'), 0, 'removed from the device');

      // The PDF, as a PDF reader reads it.
      const response = await page.request.get(`${recordPath}/record.pdf`);
      assert.equal(response.status(), 200);
      assert.equal(response.headers()['content-type'], 'application/pdf');
      const pdf = await readPdf(await response.body());
      const flat = pdf.text.replace(/\s+/g, '');
      for (const expected of ['安全生产检查记录', enterpriseName.replace(/\s+/g, ''), '储罐区可燃气体报警器未投用', '李安全', '43.886841']) {
        assert.ok(flat.includes(expected), `the PDF says ${expected}`);
      }
      assert.ok(!flat.includes('拒绝签字'), 'a signed record does not say the signature was refused');
      assert.ok(pdf.images >= 2, `the PDF holds the photo and the signature (${pdf.images} images)`);

      // In English the record's own words are English, and so is its PDF.
      await gotoOk(page, `/lang/en?next=${recordPath}`);
      const words = await page.locator('main h1, main h2, main dt, main th, main .button, #run-result').allTextContents();
      assert.deepEqual(words.filter((text) => CJK.test(text)), [], 'the English record has no Chinese outside data');
      await screenshot(page, 'check-record-phone-en.png');
      const english = await readPdf(await (await page.request.get(`${recordPath}/record.pdf`)).body());
      assert.ok(english.text.includes('Work-safety check record'), 'the English PDF is in English');
      await gotoOk(page, `/lang/zh?next=${recordPath}`);
    } finally {
      await page.context().close();
    }
  });
});
