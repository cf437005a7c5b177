// The sandbox demo client, Calmly, in a real browser: the therapy platform's whole story from
// sign-up to disconnect, a practice admin booking for a second therapist (the meeting lands in
// that therapist's sandbox Zoom), and that therapist removing the app inside Zoom, which
// reaches Calmly as a webhook. Calmly uses only the hub's /v1 API and webhooks.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { arrivedAt, assertReadableAt360, hub, launchBrowser, withPage } from './support.mjs';

let h;
let browser;

before(async () => {
  h = await hub();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const MAJA = { name: 'Maja Kovač', email: 'maja@calmly.example', zoom: 'maja.kovac@sandbox.zoom.test' };
const TOM = { name: 'Tom Reyes', email: 'tom@calmly.example', zoom: 'tom.reyes@sandbox.zoom.test' };

/** Signs up in three steps; leaves the browser on step 3 (connect Zoom or skip). */
async function signUp(page, therapist, { title = '', timeZone = 'Europe/Ljubljana' } = {}) {
  await page.goto(`${h.baseUrl}/demo`);
  await arrivedAt(page, (url) => url.pathname === '/demo/signup', () => page.getByRole('link', { name: 'Sign up as a therapist' }).click());
  await page.getByText('Step 1 of 3').waitFor();
  await page.getByLabel('Full name').fill(therapist.name);
  await page.getByLabel('Email').fill(therapist.email);
  await arrivedAt(page, (url) => url.pathname === '/demo/signup/profile', () => page.getByRole('button', { name: 'Continue' }).click());
  await page.getByText('Step 2 of 3').waitFor();
  await page.getByLabel('Title and speciality').fill(title);
  await page.getByLabel('Your time zone').selectOption(timeZone);
  await arrivedAt(page, (url) => url.pathname === '/demo/signup/zoom', () => page.getByRole('button', { name: 'Continue' }).click());
  await page.getByText('Step 3 of 3').waitFor();
}

/** From a Calmly page with a *Connect Zoom* button: through the hub's connect page and the sandbox Zoom, back to Calmly. */
async function connectZoom(page, therapist) {
  await arrivedAt(page, (url) => url.pathname.startsWith('/connect/'), () => page.getByRole('button', { name: /^(Re)?[Cc]onnect Zoom$/ }).first().click());
  await page.getByText('Calmly Therapy (sandbox demo)').first().waitFor();
  await arrivedAt(page, (url) => url.pathname.startsWith('/sandbox/zoom/'), () => page.getByRole('button', { name: 'Connect Zoom', exact: true }).click());
  const signIn = page.getByRole('heading', { name: 'Sign in to the Zoom sandbox' });
  const consent = page.getByRole('heading', { name: 'Allow this app to use your Zoom account?' });
  await signIn.or(consent).waitFor();
  if (await signIn.isVisible()) {
    await page.getByLabel('Email').fill(therapist.zoom);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await consent.waitFor();
  }
  await arrivedAt(page, (url) => url.pathname === '/demo/home', () => page.getByRole('button', { name: 'Allow', exact: true }).click());
  await page.getByRole('status').filter({ hasText: 'Zoom is connected' }).waitFor();
}

/** Reloads `page` until `text` appears in it (webhooks arrive a moment after the action). */
async function eventually(page, text, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if ((await page.locator('main').innerText()).includes(text)) return;
    if (Date.now() > deadline) throw new Error(`"${text}" did not appear on ${page.url()}`);
    await new Promise((done) => setTimeout(done, 300));
    await page.reload();
  }
}

/** Fills the appointment form (already open) and schedules. */
async function schedule(page, { patient, email, time, therapist }) {
  if (therapist) await page.getByLabel('Therapist').selectOption({ label: therapist });
  await page.getByLabel("Patient's name").fill(patient);
  await page.getByLabel("Patient's email").fill(email);
  await page.getByLabel('Time').fill(time);
  await page.getByRole('button', { name: 'Schedule' }).click();
}

/** The patient's line in the therapist's upcoming appointments. */
function appointment(page, patient) {
  return page.locator('section').filter({ has: page.getByRole('heading', { name: 'Upcoming' }) }).locator('li').filter({ hasText: patient });
}

test('a therapist signs up, connects Zoom, schedules, deletes and disconnects', { timeout: 180_000 }, async (t) => {
  await withPage(t, browser, async ({ page }) => {
    await signUp(page, MAJA, { title: 'Counselling psychologist' });
    await assertReadableAt360(page);
    await arrivedAt(page, (url) => url.pathname === '/demo/home', () => page.getByRole('link', { name: 'Skip for now' }).click());

    // Not connected: the button is there but disabled, with Connect Zoom beside it.
    const newAppointment = page.getByRole('button', { name: 'New virtual appointment' });
    assert.equal(await newAppointment.isDisabled(), true, 'New virtual appointment is disabled before Zoom is connected');
    await page.getByText('Not connected').waitFor();
    await assertReadableAt360(page);

    await connectZoom(page, MAJA);
    await eventually(page, 'Zoom connected: maja.kovac@sandbox.zoom.test.');

    // Two appointments with patients; each gets a Zoom meeting and a join link.
    await arrivedAt(page, (url) => url.pathname === '/demo/appointments/new', () => page.getByRole('link', { name: 'New virtual appointment' }).click());
    await assertReadableAt360(page);
    // A bad email is answered beside the field, and nothing is scheduled.
    await schedule(page, { patient: 'Pat Doe', email: 'not an email', time: '10:00' });
    await page.getByText("Enter the patient's email address").waitFor();
    await arrivedAt(page, (url) => url.pathname === '/demo/home', () => schedule(page, { patient: 'Pat Doe', email: 'pat@example.org', time: '10:00' }));
    await page.getByRole('status').filter({ hasText: 'Scheduled' }).waitFor();
    await arrivedAt(page, (url) => url.pathname === '/demo/appointments/new', () => page.getByRole('link', { name: 'New virtual appointment' }).click());
    await arrivedAt(page, (url) => url.pathname === '/demo/home', () => schedule(page, { patient: 'Sam Lee', email: 'sam@example.org', time: '12:00' }));

    for (const patient of ['Pat Doe', 'Sam Lee']) {
      const line = appointment(page, patient);
      await line.getByText('Zoom ready').waitFor();
      const join = await line.getByRole('link').first().getAttribute('href');
      assert.match(join, /\/sandbox\/zoom\/j\/\d+/, `${patient}'s appointment has a join link`);
    }
    assert.match(await appointment(page, 'Pat Doe').innerText(), /10:00/, 'times are shown in the therapist\'s time zone');
    await eventually(page, 'Zoom meeting ready for Pat Doe');
    await assertReadableAt360(page);

    // The therapist starts the meeting as host through a fresh start link.
    await arrivedAt(page, (url) => url.pathname.startsWith('/sandbox/zoom/s/'), () => appointment(page, 'Pat Doe').getByRole('button', { name: 'Start as host' }).click());
    await page.getByRole('heading', { name: /Therapy session/ }).waitFor();
    await page.goto(`${h.baseUrl}/demo/home`);

    // Deleting one asks first, then only that one goes.
    await arrivedAt(page, (url) => url.pathname.endsWith('/delete'), () => appointment(page, 'Sam Lee').getByRole('link', { name: 'Delete' }).click());
    await page.getByRole('heading', { name: 'Delete this appointment?' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Sam Lee/);
    await arrivedAt(page, (url) => url.pathname === '/demo/home', () => page.getByRole('button', { name: 'Delete appointment' }).click());
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    assert.equal(await appointment(page, 'Sam Lee').count(), 0, 'the deleted appointment is gone');
    await appointment(page, 'Pat Doe').getByText('Zoom ready').waitFor();

    // The sandbox Zoom, one click away, has Pat's meeting and not Sam's.
    await arrivedAt(page, (url) => url.pathname === '/sandbox/zoom/meetings', () => page.getByRole('link', { name: 'Sandbox Zoom: meetings' }).click());
    await page.getByRole('heading', { name: 'Your meetings' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Therapy session' }).count(), 1, 'one meeting left in Zoom');
    await page.goBack();

    // Disconnect in settings, after confirming; scheduling is off again.
    await page.goto(`${h.baseUrl}/demo/settings`);
    await page.getByText('maja.kovac@sandbox.zoom.test').first().waitFor();
    await assertReadableAt360(page);
    // Her Convene account page, one click away, lists Calmly as using her Zoom.
    await arrivedAt(page, (url) => url.pathname === '/account', () => page.getByRole('button', { name: /Convene account page/ }).click());
    await page.getByRole('heading', { name: 'Your Zoom connections' }).waitFor();
    await page.getByText('Calmly Therapy (sandbox demo)').first().waitFor();
    await page.goto(`${h.baseUrl}/demo/settings`);
    await arrivedAt(page, (url) => url.pathname === '/demo/settings/disconnect', () => page.getByRole('link', { name: 'Disconnect Zoom' }).click());
    await page.getByRole('heading', { name: 'Disconnect Zoom?' }).waitFor();
    await arrivedAt(page, (url) => url.pathname === '/demo/settings', () => page.getByRole('button', { name: 'Disconnect Zoom' }).click());
    await page.getByRole('status').filter({ hasText: 'Zoom is disconnected' }).waitFor();
    await page.getByText('Not connected').waitFor();
    await page.goto(`${h.baseUrl}/demo/home`);
    assert.equal(await page.getByRole('button', { name: 'New virtual appointment' }).isDisabled(), true);
    await eventually(page, 'Zoom disconnected: you disconnected it in Calmly.');
    // The appointment already made keeps its join link.
    await appointment(page, 'Pat Doe').getByText('Zoom ready').waitFor();
  });
});

test('an admin books for a second therapist, whose Zoom gets the meeting; removing the app in Zoom reaches Calmly', { timeout: 180_000 }, async (t) => {
  await withPage(t, browser, async ({ page }) => {
    await signUp(page, TOM, { timeZone: 'America/New_York' });
    await connectZoom(page, TOM);

    await page.goto(`${h.baseUrl}/demo/admin`);
    await page.getByRole('heading', { name: 'Practice admin' }).waitFor();
    await assertReadableAt360(page);
    await arrivedAt(page, (url) => url.pathname === '/demo/admin/appointments/new', () => page.getByRole('link', { name: 'Book for a therapist' }).click());
    await assertReadableAt360(page);
    // Booking without choosing a therapist is refused.
    await schedule(page, { patient: 'Riley Park', email: 'riley@example.org', time: '09:30' });
    await page.getByText('Choose a therapist.').waitFor();
    await arrivedAt(page, (url) => url.pathname === '/demo/admin', () => schedule(page, { therapist: `${TOM.name} (America/New_York)`, patient: 'Riley Park', email: 'riley@example.org', time: '09:30' }));
    const toms = page.locator('section').filter({ has: page.getByRole('heading', { name: TOM.name }) });
    await toms.locator('li').filter({ hasText: 'Riley Park' }).getByText('Zoom ready').waitFor();
    assert.match(await toms.innerText(), /09:30/, "the time is Tom's New York time");

    // It landed in Tom's own sandbox Zoom (this browser is signed in there as Tom).
    await arrivedAt(page, (url) => url.pathname === '/sandbox/zoom/meetings', () => page.getByRole('link', { name: 'Sandbox Zoom: meetings' }).click());
    assert.match(await page.locator('body').innerText(), new RegExp(`Signed in as .*${TOM.zoom.replace(/\./g, '\\.')}`));
    await page.getByRole('heading', { name: 'Therapy session' }).waitFor();

    // Tom removes the app inside Zoom; Calmly is told and shows Zoom as not connected.
    await arrivedAt(page, (url) => url.pathname === '/sandbox/zoom/apps', () => page.getByRole('link', { name: 'Apps', exact: true }).click());
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('You have not authorized any app.').waitFor();
    await page.goto(`${h.baseUrl}/demo/home`);
    await eventually(page, 'Zoom disconnected: the app was removed inside Zoom.');
    await page.getByText('Not connected').waitFor();
    assert.equal(await page.getByRole('button', { name: 'New virtual appointment' }).isDisabled(), true);
  });
});
