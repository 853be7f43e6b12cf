// The inbox and its messages: a county regulator chooses to be told by e-mail (a bad address is
// refused and the form keeps what was typed); a hidden danger reported on a phone in its county
// reaches its inbox as an unread message, with the count in the menu, and an e-mail reaches the
// local SMTP sink; opening the message marks it read. At desktop and phone width, in both languages.
//
// ANWEI_SMTP_SINK_PORT  the port the demo server sends e-mail to (default 2525); this test
//                       listens there with `smtp-server` (the SMTP server of nodemailer).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, submitLogin, gotoOk, screenshot, poll } from '../lib/helpers.mjs';

const SINK_PORT = parseInt(process.env.ANWEI_SMTP_SINK_PORT || '2525', 10);
const CJK = /[\u3400-\u9fff]/;

/** The text of a received mail's body, undoing the transfer encoding lettre chose. */
function bodyText(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = (headers.match(/^Content-Transfer-Encoding:\s*(\S+)/im) || [])[1] || '7bit';
  if (/base64/i.test(encoding)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/quoted-printable/i.test(encoding)) {
    const bytes = [];
    const text = body.replace(/=\r?\n/g, '');
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(text[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

describe('inbox', () => {
  useBrowser();
  const mails = [];
  let sink;

  before(async () => {
    sink = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks = [];
        stream.on('data', (chunk) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise((resolve, reject) => {
      sink.once('error', reject);
      sink.listen(SINK_PORT, '127.0.0.1', resolve);
    });
  });

  after(() => new Promise((resolve) => sink.close(resolve)));

  test('a danger reported in a county reaches its regulator: unread message, menu count, e-mail; opening marks it read', async () => {
    const regulator = await newPage(DESKTOP, 'inbox-regulator');
    const enterprise = await newPage(PHONE, 'inbox-enterprise');
    const phone = await newPage(PHONE, 'inbox-regulator-phone');
    const address = `chaoyang-${Date.now()}@example.cn`;
    const description = `收件箱浏览器测试 ${Date.now()}:消防通道堵塞`;
    try {
      await submitLogin(regulator, 'chaoyang', PASSWORD);
      await regulator.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(regulator, '/inbox/channels');
      const form = regulator.locator('form#channels-form');
      assert.equal(await form.locator('input[name=email]').count(), 1, 'the server offers e-mail (configured by .ci/run)');
      // An address the browser lets through but the server refuses (no domain dot) is named, and what was typed stays.
      await form.locator('input[name=email]').fill('zhang@localhost');
      await form.locator('#channels-save').click();
      await regulator.locator('#email-error').waitFor({ state: 'visible' });
      assert.equal(await regulator.locator('input[name=email]').inputValue(), 'zhang@localhost', 'the form keeps its input');
      await regulator.locator('input[name=email]').fill(address);
      await regulator.locator('select[name=email_lang]').selectOption('zh-CN');
      await regulator.locator('#channels-save').click();
      await regulator.locator('#channels-saved').waitFor({ state: 'visible' });
      assert.equal(await regulator.locator('input[name=email]').inputValue(), address);
      // The address is verified by the code e-mailed to it: a wrong code is refused in words,
      // the right one turns the channel on.
      assert.match(await regulator.locator('#email-state').textContent(), /待验证/);
      const codeMail = await poll(
        () => mails.find((m) => m.to.includes(address) && /验证码:\d{6}/.test(bodyText(m.raw))),
        `a code reaches ${address} (got ${mails.length})`,
        30_000,
      );
      const code = bodyText(codeMail.raw).match(/验证码:(\d{6})/)[1];
      await regulator.locator('#email-code').fill(code === '000000' ? '111111' : '000000');
      await regulator.locator('#email-verify').click();
      await regulator.locator('#email-code-error').waitFor({ state: 'visible' });
      assert.match(await regulator.locator('#email-code-error').textContent(), /验证码不正确/);
      await regulator.locator('#email-code').fill(code);
      await regulator.locator('#email-verify').click();
      await regulator.locator('#channel-verified').waitFor({ state: 'visible' });
      assert.match(await regulator.locator('#email-state').textContent(), /已验证/);

      await submitLogin(enterprise, 'enterprise', PASSWORD);
      await enterprise.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(enterprise, '/dangers/new');
      const danger = enterprise.locator('form#danger-form');
      await danger.locator('input[name=location]').fill('二号库房');
      await danger.locator('textarea[name=description]').fill(description);
      await danger.locator('input[name=responsible_person]').fill('李工');
      await danger.locator('button[type=submit]').click();
      await enterprise.waitForURL((url) => /^\/dangers\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const dangerPath = new URL(enterprise.url()).pathname;

      // The menu counts the unread messages; the inbox shows the new one, unread.
      await gotoOk(regulator, '/');
      const badge = regulator.locator('#nav-unread');
      await badge.waitFor({ state: 'visible' });
      assert.ok(parseInt(await badge.textContent(), 10) >= 1, 'the menu counts unread messages');
      await regulator.locator('#nav-messages').click();
      await regulator.waitForURL((url) => url.pathname === '/inbox', { waitUntil: 'load' });
      const message = regulator.locator('#inbox-notices li', { hasText: description });
      assert.equal(await message.count(), 1, 'the message is listed');
      assert.match(await message.getAttribute('class'), /\bunread\b/);
      await screenshot(regulator, 'inbox-desktop-zh.png');

      // The e-mail reached the sink, addressed to the regulator, with the danger in its text.
      const mail = await poll(
        () => mails.find((m) => m.to.includes(address) && bodyText(m.raw).includes(description)),
        `an e-mail to ${address} reaches the SMTP sink (got ${mails.length})`,
        30_000,
      );
      assert.ok(bodyText(mail.raw).includes('请确认'), 'the e-mail says what to do, in the chosen language');

      // Opening the message leads to the danger and marks it read.
      await message.locator('button.message-open').click();
      await regulator.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
      // A page below a section says where it is: 首页 › 隐患.
      assert.equal(await regulator.locator('nav.breadcrumb a[href="/dangers"]').count(), 1, 'the breadcrumb leads back to the list');
      await gotoOk(regulator, '/inbox');
      assert.match(await regulator.locator('#inbox-notices li', { hasText: description }).getAttribute('class'), /\bread\b/);

      // On a phone the menu is folded away: the count shows in the header instead.
      await submitLogin(phone, 'chaoyang', PASSWORD);
      await phone.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(phone, '/inbox');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the inbox fits a phone's width (overflow ${overflow}px)`);
      await screenshot(phone, 'inbox-phone-zh.png');
      if (await phone.locator('#header-unread').count()) {
        assert.ok(await phone.locator('#header-unread').isVisible(), 'the unread count shows in the header on a phone');
      }

      // In English the page's own words are English (messages quote data such as names).
      await gotoOk(regulator, '/lang/en?next=/inbox');
      const chrome = await regulator.locator('h1, #inbox-messages h2, #inbox-messages .toolbar, #inbox-waiting .label').allTextContents();
      const chinese = chrome.filter((text) => CJK.test(text));
      assert.deepEqual(chinese, [], 'no Chinese in the English inbox outside data');
      assert.ok((await regulator.locator('#inbox-notices li', { hasText: description }).textContent()).includes('was reported; please confirm it'));
      await screenshot(regulator, 'inbox-desktop-en.png');
      await gotoOk(regulator, '/inbox/channels');
      assert.deepEqual((await regulator.locator('main label, main legend, main h1, main .muted').allTextContents()).filter((t) => CJK.test(t) && !t.includes('中文')), []);
      await screenshot(regulator, 'inbox-channels-en.png');
      await gotoOk(regulator, '/lang/zh?next=/');
    } finally {
      await regulator.context().close();
      await enterprise.context().close();
      await phone.context().close();
    }
  });
});
