// The operator console in a real browser: an operator made with
// `convene admin create` signs in (after a wrong password), registers an
// application, creates and revokes an API key (with the keyboard, through the
// confirmation page), and replays a webhook delivery the application's
// endpoint had refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import {
  APP_CALLBACK,
  arrivedAt,
  connectZoomInBrowser,
  hub,
  launchBrowser,
  registerApp,
  request,
  withPage,
} from './support.mjs';

const EMAIL = `ops-${Date.now()}@hub.example`;
const PASSWORD = 'a long operator passphrase for the browser';

let h;
let browser;

before(async () => {
  h = await hub();
  browser = await launchBrowser();
  // As an operator would on the hub's host: the password on stdin.
  execFileSync(h.bin, ['admin', 'create', '--email', EMAIL], {
    input: `${PASSWORD}\n`,
    env: { ...withoutConveneVariables(process.env), ...h.env },
    cwd: h.env.CONVENE_DATA_DIR,
    timeout: 30_000,
  });
});

/** The environment less every CONVENE_ variable (the hub's own come from `h.env`). */
function withoutConveneVariables(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('CONVENE_')));
}

after(async () => {
  await browser?.close();
});

/** Signs in on the console's sign-in page; resolves on the overview. */
async function signIn(page, password = PASSWORD) {
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signedIn(page) {
  await page.goto(`${h.baseUrl}/admin/sign_in`);
  await arrivedAt(page, (url) => url.pathname === '/admin', () => signIn(page));
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/** A link of the console's navigation. */
function section(page, name) {
  return page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name, exact: true });
}

/** Presses Tab until `target` has the focus; fails if 40 presses do not reach it. */
async function tabTo(page, target, what) {
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => document.activeElement === element).catch(() => false)) return;
  }
  assert.fail(`${what} is not reachable with Tab`);
}

/** Nothing wider than a 360 px phone screen but the tables' own scrolling boxes. */
async function assertReadableAt360(page) {
  await page.setViewportSize({ width: 360, height: 780 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${page.url()} is ${width}px wide at 360px`);
  await page.setViewportSize({ width: 1100, height: 900 });
}

test('an operator signs in after a wrong password, and signs out', { timeout: 120_000 }, async (t) => {
  await withPage(t, browser, async ({ page }) => {
    const landed = await arrivedAt(page, (url) => url.pathname === '/admin/sign_in', () => page.goto(`${h.baseUrl}/admin`));
    assert.equal(landed.pathname, '/admin/sign_in', 'the console asks for sign-in');

    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/admin/sign_in'));
    await signIn(page, 'not the right passphrase');
    assert.equal((await refused).status(), 401);
    await page.getByRole('alert').filter({ hasText: 'do not match an operator account' }).waitFor();
    assert.equal(await page.getByLabel('Email').inputValue(), EMAIL, 'the email is kept');
    await assertReadableAt360(page);

    await arrivedAt(page, (url) => url.pathname === '/admin', async () => {
      await page.getByLabel('Password').fill(PASSWORD);
      await page.keyboard.press('Enter');
    });
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.match(await page.locator('header').innerText(), new RegExp(EMAIL.replace('.', '\\.')));
    await assertReadableAt360(page);

    await arrivedAt(page, (url) => url.pathname === '/admin/sign_in', () => page.getByRole('button', { name: 'Sign out' }).click());
    await arrivedAt(page, (url) => url.pathname === '/admin/sign_in', () => page.goto(`${h.baseUrl}/admin/applications`));
  });
});

test('an operator registers an app, then creates and revokes a key', { timeout: 120_000 }, async (t) => {
  await withPage(t, browser, async ({ page }) => {
    await signedIn(page);
    await section(page, 'Applications').click();
    await page.getByRole('heading', { level: 1, name: 'Applications' }).waitFor();
    await page.getByLabel('Name').fill('Calm Console Test');
    await page.getByLabel('Redirect URIs').fill(`${APP_CALLBACK}\nhttps://app.example.com/other`);
    await page.getByRole('button', { name: 'Register application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Calm Console Test is registered' }).waitFor();
    const firstKey = (await page.locator('#api-key').innerText()).trim();
    assert.match(firstKey, /^cvk_/);
    assert.match(await page.locator('#webhook-secret').innerText(), /^whsec_/);
    assert.equal((await request(h, 'GET', '/v1/end_users/u1', { token: firstKey })).status, 200);

    await page.getByRole('link', { name: 'Go to the application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Calm Console Test' }).waitFor();
    assert.ok(!(await page.content()).includes(firstKey), 'the key is not shown again');
    await assertReadableAt360(page);

    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('heading', { level: 1, name: 'New API key for Calm Console Test' }).waitFor();
    const key = (await page.locator('#api-key').innerText()).trim();
    assert.match(key, /^cvk_/);
    assert.equal((await request(h, 'GET', '/v1/end_users/u1', { token: key })).status, 200);
    await page.getByRole('link', { name: 'Back to the application' }).click();

    // Keyboard only: Tab to the new key's Revoke link, Enter; on the confirmation
    // page, Tab to its Revoke key button, Enter.
    await page.getByRole('heading', { level: 1, name: 'Calm Console Test' }).waitFor();
    await tabTo(page, page.getByRole('link', { name: `Revoke key ${key.slice(0, 12)}` }), 'the Revoke link');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `Revoke key ${key.slice(0, 12)}…?` }).waitFor();
    assert.match(await page.locator('#consequences').innerText(), /refused \(401\) at once/);
    assert.equal((await request(h, 'GET', '/v1/end_users/u1', { token: key })).status, 200, 'nothing revoked before confirming');
    await assertReadableAt360(page);
    await tabTo(page, page.getByRole('button', { name: 'Revoke key', exact: true }), 'the Revoke key button');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Calm Console Test' }).waitFor();
    await page.locator('tr', { hasText: key.slice(0, 12) }).getByText('revoked').waitFor();
    assert.equal((await request(h, 'GET', '/v1/end_users/u1', { token: key })).status, 401);
    assert.equal((await request(h, 'GET', '/v1/end_users/u1', { token: firstKey })).status, 200, 'the other key still works');

    // Suspending asks first; Cancel leaves the application active.
    await page.getByRole('link', { name: 'Suspend application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Suspend Calm Console Test?' }).waitFor();
    await assertReadableAt360(page);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { level: 1, name: 'Calm Console Test' }).waitFor();
    assert.equal(await page.locator('#application-status').innerText(), 'active');
  });
});

test('an operator replays a delivery the app had refused', { timeout: 180_000 }, async (t) => {
  // The app's webhook endpoint: refuses everything until `accepting`.
  let accepting = false;
  const received = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ id: req.headers['webhook-id'], accepted: accepting, body });
      res.writeHead(accepting ? 204 : 500).end();
    });
  });
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
  t.after(() => receiver.close());
  const app = await registerApp(h, {
    name: 'Replay Console Test',
    webhookUrl: `http://127.0.0.1:${receiver.address().port}/hooks`,
  });

  await withPage(t, browser, async ({ page }) => {
    await connectZoomInBrowser(page, h, app.api_key, { endUserId: 'therapist-r', email: `replay-${Date.now()}@example.org` });
    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
    assert.ok(received.length > 0, 'the hub tried to deliver link.connected');

    await signedIn(page);
    await section(page, 'Deliveries').click();
    await page.getByLabel('Application').selectOption({ label: 'Replay Console Test' });
    await page.getByLabel('Type').selectOption('link.connected');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const row = page.locator('tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1, 'only this app\'s delivery');
    assert.match(await row.innerText(), /HTTP 500/);
    await row.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: 'link.connected to Replay Console Test' }).waitFor();
    assert.match(await page.locator('pre').innerText(), /"end_user_id": "therapist-r"/);
    assert.match(await page.locator('main').innerText(), /HTTP 500/);
    await assertReadableAt360(page);

    accepting = true;
    const deliveryUrl = page.url();
    await page.getByRole('button', { name: 'Replay delivery' }).click();
    await page.waitForURL(deliveryUrl);
    const until = Date.now() + 30_000;
    for (;;) {
      if ((await page.locator('#delivery-status').innerText()) === 'delivered') break;
      assert.ok(Date.now() < until, 'the replayed delivery was delivered');
      await new Promise((done) => setTimeout(done, 500));
      await page.reload();
    }
    const accepted = received.filter((r) => r.accepted);
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].id, received[0].id, 'the replay keeps the webhook-id');
    assert.match(await page.locator('main').innerText(), /HTTP 204/);

    // The other lists, each readable on a phone.
    for (const [name, heading] of [['Links', "End users' links"], ['Events', 'Events'], ['Audit log', 'Audit log'], ['Operators', 'Operators'], ['Emails', 'Emails to end users']]) {
      await section(page, name).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await assertReadableAt360(page);
      if (name === 'Links') {
        // Removing a link asks first, readably on a phone too.
        await page.getByRole('link', { name: 'Remove the link of therapist-r', exact: true }).click();
        await page.getByRole('heading', { level: 1, name: 'Remove the link of therapist-r?' }).waitFor();
        assert.match(await page.locator('#consequences').innerText(), /link\.removed webhook, reason operator/);
        await assertReadableAt360(page);
        await page.getByRole('link', { name: 'Cancel' }).click();
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      }
    }
    assert.match(await page.locator('main').innerText(), /replay-.*@example\.org/, 'the kept connect email');
  });
});
