// The end user's account page in a real browser: an app's single-use account
// link signs the end user in, the page lists every app linked to their Zoom
// account, and removing one app's link (with the keyboard, after confirming)
// leaves the other app working.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP_CALLBACK,
  accountLink,
  arrivedAt,
  connectZoomInBrowser,
  expectStatus,
  hub,
  launchBrowser,
  registerApp,
  withPage,
} from './support.mjs';

let h;
let browser;
let calm;
let ehr;

before(async () => {
  h = await hub();
  browser = await launchBrowser();
  calm = await registerApp(h, { name: 'Calm Account Test', redirectUris: [APP_CALLBACK] });
  ehr = await registerApp(h, { name: 'Northside Account Test', redirectUris: [APP_CALLBACK] });
});

after(async () => {
  await browser?.close();
});

test('an account link signs in; removing one app keeps the other', { timeout: 120_000 }, async (t) => {
  // A Zoom user of this test only, so other tests' links do not show.
  const email = `account-${Date.now()}@example.org`;

  await withPage(t, browser, async ({ page }) => {
    const calmLink = await connectZoomInBrowser(page, h, calm.api_key, { endUserId: 'therapist-7', email });
    const ehrLink = await connectZoomInBrowser(page, h, ehr.api_key, { endUserId: 'dr-7', email });

    const link = await accountLink(h, calm.api_key, 'therapist-7');
    const response = await page.goto(link.url);
    assert.equal(response.status(), 200, `GET ${link.url}`);
    assert.equal(new URL(page.url()).pathname, '/account', 'the link goes on to the page');
    await page.getByRole('heading', { level: 1, name: 'Your Zoom connections' }).waitFor();
    const account = page.getByRole('region', { name: `Zoom account ${email}` });
    await account.waitFor();
    const text = await account.innerText();
    assert.match(text, /Calm Account Test/);
    assert.match(text, /Northside Account Test/);
    assert.match(text, /Last used/);

    // Readable on a small phone: nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 360, `the page is ${overflow}px wide at 360px`);

    // Keyboard only: Tab to the Northside app's Remove button, Enter, and confirm.
    const remove = page.getByRole('button', { name: 'Remove Northside Account Test' });
    let focused = false;
    for (let i = 0; i < 30 && !focused; i += 1) {
      await page.keyboard.press('Tab');
      focused = await remove.evaluate((button) => document.activeElement === button);
    }
    assert.ok(focused, 'the Remove button is reachable with Tab');
    await arrivedAt(page, (url) => url.pathname === `/account/links/${ehrLink}/remove`, () => page.keyboard.press('Enter'));
    await page.getByRole('heading', { name: "Remove Northside Account Test's access to your Zoom account?" }).waitFor();
    assert.match(await page.locator('main').innerText(), /These apps keep working: Calm Account Test/);
    const landed = await arrivedAt(
      page,
      (url) => url.pathname === '/account',
      () => page.getByRole('button', { name: 'Remove Northside Account Test', exact: true }).click(),
    );
    assert.equal(landed.searchParams.get('notice'), 'removed');
    await page.getByRole('status').filter({ hasText: "The app's access was removed" }).waitFor();
    await page.getByRole('button', { name: 'Remove Calm Account Test' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Remove Northside Account Test' }).count(), 0);
    assert.match(await account.innerText(), /Northside Account Test was removed by you/);

    // The apps see the same: Northside's link is gone, Calm's still works.
    const northside = await expectStatus(200, h, 'GET', '/v1/end_users/dr-7', { token: ehr.api_key });
    assert.deepEqual(northside.links, []);
    const calmUser = await expectStatus(200, h, 'GET', '/v1/end_users/therapist-7', { token: calm.api_key });
    assert.equal(calmUser.links.length, 1);
    assert.equal(calmUser.links[0].id, calmLink);
    assert.equal(calmUser.links[0].status, 'active');

    // The link was single-use.
    const again = await page.goto(link.url);
    assert.equal(again.status(), 410);
  });
});
