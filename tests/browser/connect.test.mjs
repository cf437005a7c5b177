// The hosted connect flow in a real browser, against the hub's built-in Zoom
// emulator: Connect Zoom → sign in → Allow → back at the app with
// status=connected; and Skip for now → back at the app with access_denied.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP_CALLBACK,
  APP_ORIGIN,
  DEMO_USER_EMAIL,
  arrivedAt,
  connectSession,
  expectStatus,
  hub,
  launchBrowser,
  registerApp,
  withPage,
} from './support.mjs';

let h;
let browser;
let app;

before(async () => {
  h = await hub();
  browser = await launchBrowser();
  app = await registerApp(h, { name: 'Calm Therapy', redirectUris: [APP_CALLBACK] });
});

after(async () => {
  await browser?.close();
});

/** Opens the connect URL and checks the hosted page before a choice is made. */
async function openConnectPage(page, url) {
  const response = await page.goto(url);
  assert.equal(response.status(), 200, `GET ${url}`);
  await page.getByRole('heading', { level: 1, name: 'Connect your Zoom account to Calm Therapy' }).waitFor();
}

test('Connect Zoom: sign in at the emulator, allow, land on the redirect URI with status=connected', { timeout: 90_000 }, async (t) => {
  const session = await connectSession(h, app.api_key, {
    endUserId: 'therapist-42',
    redirectUri: APP_CALLBACK,
    state: 'xyz',
  });

  await withPage(t, browser, async ({ page, visits }) => {
    await openConnectPage(page, session.url);
    // The emulator's sign-in page, under the hub's own origin.
    await arrivedAt(
      page,
      (url) => url.origin === h.baseUrl && url.pathname.startsWith('/sandbox/zoom/'),
      () => page.getByRole('button', { name: 'Connect Zoom', exact: true }).click(),
    );
    await page.getByRole('heading', { name: 'Sign in to the Zoom sandbox' }).waitFor();
    await page.getByRole('button', { name: DEMO_USER_EMAIL }).click();

    // Consent, naming the user who signed in.
    await page.getByRole('heading', { name: 'Allow this app to use your Zoom account?' }).waitFor();
    assert.match(await page.locator('main').innerText(), new RegExp(DEMO_USER_EMAIL.replaceAll('.', '\\.')));
    const landed = await arrivedAt(
      page,
      (url) => url.origin === APP_ORIGIN,
      () => page.getByRole('button', { name: 'Allow', exact: true }).click(),
    );
    assert.equal(`${landed.origin}${landed.pathname}`, APP_CALLBACK);
    const query = landed.searchParams;
    assert.equal(query.get('status'), 'connected', `query: ${landed.search}`);
    assert.match(query.get('link_id') ?? '', /\S/, 'link_id is set');
    assert.equal(query.get('end_user_id'), 'therapist-42');
    assert.equal(query.get('state'), 'xyz');
    assert.equal(query.get('error'), null);
    await page.getByRole('heading', { name: 'Back at the example app' }).waitFor();

    // The way back went through the hub's callback.
    assert.ok(
      visits.some((v) => v.url.startsWith(`${h.baseUrl}/connect/zoom/callback?`) && v.status === 303),
      `no 303 from /connect/zoom/callback in ${JSON.stringify(visits, null, 1)}`,
    );

    // And the app now sees the link, on the demo user's Zoom account.
    const endUser = await expectStatus(200, h, 'GET', '/v1/end_users/therapist-42', { token: app.api_key });
    const link = endUser.links.find((l) => l.id === query.get('link_id'));
    assert.ok(link, `link ${query.get('link_id')} not in ${JSON.stringify(endUser)}`);
    assert.equal(link.status, 'active');
    assert.equal(link.account?.email, DEMO_USER_EMAIL);
  });
});

test('Skip for now: land on the redirect URI with error=access_denied', { timeout: 60_000 }, async (t) => {
  const session = await connectSession(h, app.api_key, {
    endUserId: 'therapist-43',
    redirectUri: APP_CALLBACK,
    state: 'xyz',
  });

  await withPage(t, browser, async ({ page }) => {
    await openConnectPage(page, session.url);
    const landed = await arrivedAt(
      page,
      (url) => url.origin === APP_ORIGIN,
      () => page.getByRole('button', { name: 'Skip for now', exact: true }).click(),
    );
    assert.equal(`${landed.origin}${landed.pathname}`, APP_CALLBACK);
    assert.equal(landed.searchParams.get('error'), 'access_denied', `query: ${landed.search}`);
    assert.equal(landed.searchParams.get('state'), 'xyz');
    assert.equal(landed.searchParams.get('status'), null);
    assert.equal(landed.searchParams.get('link_id'), null);

    // The session is used up: the link now says so instead of offering the choice again.
    const again = await page.goto(session.url);
    assert.equal(again.status(), 410, `GET ${session.url} after skipping`);
    await page.getByRole('heading', { name: 'This link has expired' }).waitFor();

    const endUser = await expectStatus(200, h, 'GET', '/v1/end_users/therapist-43', { token: app.api_key });
    assert.deepEqual(endUser.links, []);
  });
});
