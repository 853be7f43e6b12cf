// Every main page, as the province's committee office, a city's regulator and an enterprise see them, in both
// languages and at both widths: each answers, fits a phone, is saved as a screenshot, and in
// English its own words (headings, labels, buttons, menu, table heads) hold no Chinese; what is
// data (names of places, enterprises, units and people, and quoted documents) may.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, PHONE, PASSWORD, useBrowser, newPage, submitLogin, gotoOk, screenshot } from '../lib/helpers.mjs';

const CJK = /[\u3400-\u9fff]/;
// Data: names ending in the words places, enterprises and units end in, and whatever a page
// marks as data.
const DATA = /[^\s·:,()]*[\u3400-\u9fff]{2,}(省|市|州|区|县|旗|公司|厂|局|厅|委|办公室|办|会|站|队|院|所|中心|集团|企业|政府|部|处|科|组)/g;

/** The page's own words that are in Chinese, once data is taken out: what the page marks as
 * data (`data-data`), a choice's options, what a user typed, the user's own name, and the other
 * language's name in the switch. */
async function chineseWords(page) {
  const words = await page.locator(
    'header a, header button, nav a, nav h2, main h1, main h2, main h3, main th, main label, main legend, main button, main dt, main summary, main .button, main .muted, main .stat .label, footer',
  ).evaluateAll((elements) => elements.filter((e) => !e.closest('[data-data], td, dd, option, body [lang], #profile-link')).map((e) => {
    let text = '';
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) { text += child.textContent; }
        else if (child.nodeType === Node.ELEMENT_NODE && !child.matches('select, option, textarea, input, [data-data], [lang], #profile-link')) { walk(child); }
      }
    };
    walk(e);
    return text;
  }));
  // A message's own words come first; after ": #" it names a record, and quoted text is data.
  const own = (text) => text.replace(/: #.*$/s, '').replace(/'[^']*'/g, '').replace(DATA, '').trim();
  return [...new Set(words.map(own).filter((text) => CJK.test(text)))];
}

/** A screenshot of what a reader sees first (a whole long list would only slow the suite). */
async function firstScreen(page, name) {
  await screenshot(page, name, { fullPage: false });
}

describe('every main page', () => {
  useBrowser();

  // The administrators' pages are walked by the audit and accounts tests (their one-time codes are
  // good once, so they sign in there).
  // Beyond the menu: pages reached from within a section.
  const beyond = { office: ['/checklists', '/checklists/new', '/assessment/scheme'], city: ['/checklists'], enterprise: ['/checklists'] };
  for (const [username, label] of [['office', 'office'], ['changchun', 'city'], ['enterprise', 'enterprise']]) {
    test(`${label}: every page answers, fits a phone, and is English in English`, async () => {
      const page = await newPage(DESKTOP, `pages-${label}`);
      try {
        await submitLogin(page, username, PASSWORD);
        await page.waitForURL((url) => url.pathname === '/', { waitUntil: 'load' });
        // In Chinese: the menu's pages, and the first entry each of their lists leads to.
        // The check below sees Chinese where there is some: the Chinese home's own words.
        assert.ok((await chineseWords(page)).length > 3, 'the Chinese page has Chinese words of its own');
        const menu = await page.locator('nav a[href^="/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
        const pages = [...new Set([...menu.filter((href) => !href.startsWith('/lang') && href !== '/logout'), ...beyond[label]])];
        assert.ok(pages.length >= 5, `${label} has its pages: ${pages.join(' ')}`);
        const details = [];
        const nameOf = (href) => href.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-') || 'home';
        for (const href of pages) {
          await gotoOk(page, href);
          await firstScreen(page, `page-${label}-${nameOf(href)}-desktop-zh.png`);
          const first = await page.locator('main table a[href^="/"]').first().getAttribute('href', { timeout: 500 }).catch(() => null);
          if (first && !pages.includes(first) && !details.includes(first) && !/\.(xlsx|csv|pdf|png|jpg)$/.test(first)) { details.push(first); }
        }
        for (const href of details) {
          await gotoOk(page, href);
          await firstScreen(page, `page-${label}-${nameOf(href)}-desktop-zh.png`);
        }
        // In English, at both widths.
        await gotoOk(page, '/lang/en?next=/');
        const leaks = [];
        for (const href of [...pages, ...details]) {
          await page.setViewportSize(DESKTOP);
          await gotoOk(page, href);
          const chinese = await chineseWords(page);
          if (chinese.length) { leaks.push(`${href}: ${chinese.join(' | ')}`); console.log(`leak ${href}: ${JSON.stringify(chinese)}`); }
          await firstScreen(page, `page-${label}-${nameOf(href)}-desktop-en.png`);
          await page.setViewportSize(PHONE);
          await gotoOk(page, href);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 1, `${href} fits a phone (overflow ${overflow}px)`);
          await firstScreen(page, `page-${label}-${nameOf(href)}-phone-en.png`);
        }
        await gotoOk(page, '/lang/zh?next=/');
        assert.deepEqual(leaks, [], 'no Chinese outside data on English pages');
      } finally {
        await page.context().close();
      }
    });
  }
});
