// Hidden dangers: a 重大 (major) hidden danger through the whole loop in the UI — the enterprise
// reports it on a phone, the regulator confirms, the enterprise plans and submits the rectification,
// the regulator accepts it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, submitLogin, gotoOk, screenshot } from '../lib/helpers.mjs';

describe('hidden dangers', () => {
  useBrowser();

  test('a 重大 hidden danger through the loop in the UI: the enterprise plans and submits, the regulator accepts', async () => {
    const enterprise = await newPage(PHONE, 'danger-enterprise');
    const regulator = await newPage(DESKTOP, 'danger-regulator');
    try {
      await submitLogin(enterprise, 'enterprise', PASSWORD);
      await enterprise.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await gotoOk(enterprise, '/dangers/new');
      const form = enterprise.locator('form#danger-form');
      await form.locator('input[name=location]').fill('浏览器测试储罐区');
      await form.locator('select[name=grade]').selectOption('major');
      await form.locator('textarea[name=description]').fill('浏览器测试:储罐未设紧急切断阀');
      await form.locator('input[name=responsible_person]').fill('王工');
      await form.locator('button[type=submit]').click();
      await enterprise.waitForURL((url) => /^\/dangers\/\d+$/.test(url.pathname), { waitUntil: 'load' });
      const dangerPath = new URL(enterprise.url()).pathname;
      assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'reported');

      await submitLogin(regulator, 'chaoyang', PASSWORD);
      await regulator.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      // The county regulator's inbox holds the new danger among those to confirm.
      await regulator.locator('#nav-messages').click();
      await regulator.waitForURL((url) => url.pathname === '/inbox', { waitUntil: 'load' });
      const toConfirm = regulator.locator('#inbox-waiting a[href="/dangers?state=reported"]');
      assert.ok(parseInt(await toConfirm.locator('.value').textContent(), 10) >= 1, 'dangers to confirm are counted');
      await toConfirm.click();
      await regulator.waitForURL((url) => url.pathname === '/dangers', { waitUntil: 'load' });
      assert.ok((await regulator.locator('main').textContent()).includes('浏览器测试:储罐未设紧急切断阀'), 'the new danger is listed to confirm');
      await gotoOk(regulator, dangerPath);
      await regulator.locator('#danger-simple-actions button[value=confirm]').click();
      await regulator.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
      assert.equal(await regulator.locator('#danger-state').getAttribute('data-state'), 'confirmed');

      // A plan missing elements is refused and names them; the full plan is accepted.
      await gotoOk(enterprise, dangerPath);
      const plan = enterprise.locator('form#danger-plan-form');
      await plan.locator('input[name=goal]').fill('消除隐患');
      await plan.locator('button[type=submit]').click();
      await enterprise.locator('.error').first().waitFor({ state: 'visible' });
      assert.ok((await enterprise.locator('.error').first().textContent()).includes('funds'), 'the missing elements are named');
      const again = enterprise.locator('form#danger-plan-form');
      await again.locator('input[name=goal]').fill('消除隐患');
      await again.locator('textarea[name=measures]').fill('加装紧急切断阀');
      await again.locator('input[name=funds]').fill('20万元');
      await again.locator('input[name=organization]').fill('设备部');
      await again.locator('input[name=deadline]').fill('2030-12-31');
      await again.locator('textarea[name=safety_measures]').fill('停用储罐');
      await again.locator('textarea[name=emergency_plan]').fill('泄漏预案');
      await again.locator('button[type=submit]').click();
      await enterprise.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
      assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'planned');
      await enterprise.locator('#danger-simple-actions button[value=start]').click();
      await enterprise.locator('form#danger-submit-form').waitFor({ state: 'visible' });
      await enterprise.locator('form#danger-submit-form input[name=note]').fill('已加装');
      await enterprise.locator('form#danger-submit-form button[type=submit]').click();
      await enterprise.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
      assert.equal(await enterprise.locator('#danger-state').getAttribute('data-state'), 'pending_acceptance');
      assert.equal(await enterprise.locator('#danger-simple-actions button[value=accept]').count(), 0, 'the enterprise cannot accept its own 重大 rectification');
      await screenshot(enterprise, 'danger-phone.png');

      await gotoOk(regulator, dangerPath);
      await regulator.locator('#danger-simple-actions button[value=accept]').click();
      await regulator.waitForURL((url) => url.pathname === dangerPath, { waitUntil: 'load' });
      assert.equal(await regulator.locator('#danger-state').getAttribute('data-state'), 'closed');
    } finally {
      await enterprise.context().close();
      await regulator.context().close();
    }
  });
});
