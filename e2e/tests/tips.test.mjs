// Whistleblowing: a member of the public reports a major hidden danger on a phone without an
// account and keeps the receipt code; the county regulator accepts and verifies it and answers;
// the reporter reads the answer by code; the office approves the reward; the reporter claims it in
// person with the code and the custodian records the payment; the reporter then sees it paid.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, login, submitLogin, gotoOk, screenshot } from '../lib/helpers.mjs';

/** A 1×1 PNG whose text chunk names `author`, with real CRCs. */
function pngWithAuthor(author) {
  const chunk = (kind, data) => {
    const body = Buffer.concat([Buffer.from(kind, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])),
    chunk('tEXt', Buffer.from(`Author\0${author}`, 'latin1')),
    chunk('IDAT', zlib.deflateSync(Buffer.from([0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function followUp(page, receipt) {
  await gotoOk(page, '/report/follow');
  await page.locator('form#follow-form input[name=receipt]').fill(receipt);
  await page.locator('form#follow-form button[type=submit]').click();
  await page.locator('#tip-status').waitFor({ state: 'visible' });
}

describe('tips', () => {
  useBrowser();

  test('a tip without an account is followed up and rewarded by its receipt code', async () => {
    const reporter = await newPage(PHONE, 'reporter');
    let receipt;
    try {
      await gotoOk(reporter, '/report');
      const form = reporter.locator('form#report-form');
      await form.locator('select[name=kind]').selectOption('major_danger');
      await form.locator('select[name=region_code]').selectOption('220104');
      // Part of the enterprise's name finds the county's registered names.
      await form.locator('input[name=enterprise_name]').fill('化工');
      await reporter.locator('#enterprise-options option').first().waitFor({ state: 'attached' });
      const name = await reporter.locator('#enterprise-options option').first().getAttribute('value');
      assert.ok(name.includes('化工'), `a registered name is offered: ${name}`);
      await form.locator('input[name=enterprise_name]').fill(name);
      await form.locator('textarea[name=description]').fill('浏览器测试:危化品仓库消防通道被货物堵死,喷淋系统关闭。');
      // A click on the map sets the point.
      const map = reporter.locator('#tip-point-map canvas').first();
      await map.waitFor({ state: 'attached' });
      const box = await reporter.locator('#tip-point-map').boundingBox();
      await reporter.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await reporter.waitForFunction(() => document.querySelector('input[name=longitude]').value !== '');
      const overflow = await reporter.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the report form fits a phone (overflow ${overflow}px)`);
      await screenshot(reporter, 'tip-report-phone.png');
      await form.locator('button[type=submit]').click();
      receipt = (await reporter.locator('#receipt-code').textContent()).trim();
      assert.match(receipt, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/, 'a receipt code of 24 characters');
      assert.equal((await reporter.context().cookies()).length, 0, 'the reporter was given no cookie');
      await screenshot(reporter, 'tip-receipt-phone.png');
      await followUp(reporter, receipt.toLowerCase());
      assert.equal((await reporter.locator('#tip-state').textContent()).trim(), '待受理');
      // A photo added by the code: kept, and counted on the page.
      const upload = reporter.locator('form#reporter-file-form');
      await upload.locator('input[name=files]').setInputFiles({ name: '现场.png', mimeType: 'image/png', buffer: pngWithAuthor('E2E-SECRET-AUTHOR') });
      await upload.locator('button[type=submit]').click();
      await reporter.waitForURL((url) => url.pathname === '/report/follow/files', { waitUntil: 'load' });
      assert.ok((await reporter.locator('form#reporter-file-form label').textContent()).includes('(1)'), 'the photo is kept');
    } finally {
      await reporter.context().close();
    }

    // The county regulator finds it in the inbox, accepts, verifies and answers.
    const handler = await newPage(DESKTOP, 'handler');
    let tipPath;
    try {
      await gotoOk(handler, '/login');
      await submitLogin(handler, 'chaoyang', PASSWORD);
      await gotoOk(handler, '/tips');
      await handler.locator('#tip-table a.tip-link').first().click();
      await handler.waitForURL((url) => /^\/tips\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      tipPath = new URL(handler.url()).pathname;
      assert.ok((await handler.locator('#tip-description').textContent()).includes('浏览器测试'), 'the newest tip is ours');
      assert.ok((await handler.locator('#tip-facts').textContent()).includes('化工'), 'the enterprise named by the reporter is linked');
      assert.match((await handler.locator('#tip-point').textContent()).trim(), /^1[23]\d\.\d{5}, 4\d\.\d{5}$/, 'the map point, in Jilin');
      const act = async (action, outcome) => {
        const form = handler.locator('form#tip-action-form');
        await form.locator('select[name=action]').selectOption(action);
        if (outcome) await form.locator('textarea[name=outcome]').fill(outcome);
        await form.locator('button[type=submit]').click();
        await handler.waitForURL((url) => url.pathname === tipPath, { waitUntil: 'load' });
      };
      await act('accept');
      await act('verify', '经现场核查属实,已责令企业立即清理通道并恢复喷淋系统。');
      await handler.locator('form#tip-reply-form textarea[name=body]').fill('感谢您的举报,问题已查实并责令整改。');
      await handler.locator('form#tip-reply-form button[type=submit]').click();
      await handler.waitForURL((url) => url.pathname === tipPath, { waitUntil: 'load' });
      await act('close');
      assert.equal((await handler.locator('#tip-state').textContent()).trim(), '已办结');
      // The reward, by the rules: 15 % of a ¥100,000 fine.
      const reward = handler.locator('form#tip-reward-form');
      await reward.locator('input[name=fine_yuan]').fill('100000');
      await reward.locator('input[name=paying_unit]').fill('吉林省应急管理厅(长春市人民大街3699号)');
      await reward.locator('button[type=submit]').click();
      await handler.locator('#tip-reward').waitFor({ state: 'visible' });
      assert.ok((await handler.locator('#tip-reward').textContent()).includes('¥15000'), 'the reward is 15 % of the fine');
      await screenshot(handler, 'tip-handled.png');
      // The reporter's photo is shown without its text chunk.
      const photoLink = handler.locator('#tip-photos a').first();
      const download = await handler.request.get(new URL(await photoLink.getAttribute('href'), handler.url()).href);
      assert.equal(download.status(), 200);
      assert.equal(download.headers()['content-type'], 'image/png');
      const kept = await download.body();
      assert.ok(kept.subarray(1, 4).toString() === 'PNG' && !kept.includes('E2E-SECRET-AUTHOR'), 'the photo is kept without its author');
    } finally {
      await handler.context().close();
    }

    // The reporter reads the answer and the reward by code.
    const back = await newPage(PHONE, 'reporter-back');
    try {
      await followUp(back, receipt);
      assert.equal((await back.locator('#tip-state').textContent()).trim(), '已办结');
      assert.ok((await back.locator('#tip-messages').textContent()).includes('感谢您的举报'));
      assert.ok((await back.locator('#tip-reward').textContent()).includes('¥15000'));
    } finally {
      await back.context().close();
    }

    // At the counter the custodian checks the code and records the payment.
    const custodian = await newPage(DESKTOP, 'custodian');
    try {
      await login(custodian);
      await gotoOk(custodian, '/tips/reward-payments');
      await custodian.locator('form#payment-form input[name=receipt]').fill(receipt);
      await custodian.locator('form#payment-form button[type=submit]').click();
      await custodian.locator('#payment-recorded').waitFor({ state: 'visible' });
    } finally {
      await custodian.context().close();
    }

    const paid = await newPage(PHONE, 'reporter-paid');
    try {
      await followUp(paid, receipt);
      assert.ok((await paid.locator('#tip-reward').textContent()).includes('已兑付'), 'the reporter sees it paid');
      await screenshot(paid, 'tip-paid-phone.png');
      // A wrong code answers the same whatever is wrong with it.
      await gotoOk(paid, '/report/follow');
      await paid.locator('form#follow-form input[name=receipt]').fill('0000-0000-0000-0000-0000-0000');
      await paid.locator('form#follow-form button[type=submit]').click();
      await paid.locator('#follow-errors').waitFor({ state: 'visible' });
    } finally {
      await paid.context().close();
    }
  });
});
