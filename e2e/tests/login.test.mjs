// Login and the second factor: a wrong password is refused on /login; an expert enrols a TOTP
// second factor from the QR code on the profile page, logs in with it, and turns it off again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP,
  PHONE,
  USERNAME,
  PASSWORD,
  useBrowser,
  newPage,
  gotoOk,
  pathnameOf,
  submitLogin,
  totp,
  loginWithCode,
  screenshot,
} from '../lib/helpers.mjs';

describe('login', () => {
  useBrowser();

  test('wrong password shows an error and stays on /login', async () => {
    const page = await newPage(DESKTOP, 'wrong-password');
    try {
      await submitLogin(page, USERNAME, 'wrong-password');
      const error = page.locator('.error').first();
      await error.waitFor({ state: 'visible' });
      await page.waitForLoadState('load');
      assert.ok((await error.textContent()).trim().length > 0, '.error element is empty');
      assert.equal(pathnameOf(page), '/login', 'wrong password must stay on /login');
      assert.equal(await page.locator('#region-map').count(), 0, 'wrong password must not show the home page');
    } finally {
      await page.context().close();
    }
  });

  test('profile: enrol a second factor from the QR page, log in with it, turn it off again', async () => {
    const page = await newPage(PHONE, 'totp');
    try {
      await submitLogin(page, 'expert', PASSWORD);
      await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
      await page.locator('#profile-link').click();
      await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
      await page.locator('#totp-begin button').click();
      const qr = page.locator('img#secret-qr');
      await qr.waitFor({ state: 'visible' });
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code image renders');
      const secret = (await page.locator('#secret-value').textContent()).trim();
      await screenshot(page, 'totp-enrol-phone.png');
      await page.locator('form#secret-confirm input[name=password]').fill(PASSWORD);
      await page.locator('form#secret-confirm input[name=code]').fill(totp(secret));
      await page.locator('form#secret-confirm button[type=submit]').click();
      await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
      assert.ok((await page.locator('#notice').textContent()).trim().length > 0, 'enrolment is confirmed');

      // A fresh login without the code is refused; with it, it succeeds.
      const second = await newPage(DESKTOP, 'totp-login');
      try {
        await submitLogin(second, 'expert', PASSWORD);
        await second.locator('.error').first().waitFor({ state: 'visible' });
        assert.equal(pathnameOf(second), '/login');
        await loginWithCode(second, 'expert', PASSWORD, totp(secret));
      } finally {
        await second.context().close();
      }

      // Leave the demo as it was: turn the second factor off with the password.
      await gotoOk(page, '/profile');
      await page.locator('#totp-section input[name=password]').fill(PASSWORD);
      await page.locator('#totp-section form[action="/profile/totp/remove"] button').click();
      await page.waitForURL((url) => url.pathname === '/profile', { waitUntil: 'load' });
      assert.ok((await page.locator('#totp-status').textContent()).length > 0);
    } finally {
      await page.context().close();
    }
  });
});
