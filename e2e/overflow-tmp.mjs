import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await b.newContext({ viewport: { width: 390, height: 844 }, baseURL: 'http://127.0.0.1:18080' });
const p = await ctx.newPage();
await p.goto('/login');
await p.fill('input[name=username]', process.argv[2] || 'office');
await p.fill('input[name=password]', 'anwei-demo');
await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
for (const url of process.argv.slice(3)) {
  await p.goto(url);
  const r = await p.evaluate(() => [...document.querySelectorAll('main table')].map((t) => `${t.id || t.className || 'table'}:${t.scrollWidth}/${t.rows.length}`));
  console.log(url, r.join(' '));
}
await b.close();
