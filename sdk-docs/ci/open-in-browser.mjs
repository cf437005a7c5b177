// CI's stand-in for the person in the guides who opens a connect URL: headless
// Chromium (playwright-core and the helpers of tests/browser) presses Connect Zoom,
// signs in to the sandbox's Zoom emulator, allows, and waits to land back on the
// application's redirect URI. Used as $BROWSER by .ci/sdk-docs:
//
//   node sdk-docs/ci/open-in-browser.mjs [--email someone@sandbox.zoom.test] URL
//
// Prints where the browser landed; exits 1 (with the page's text) if it did not.
import { arrivedAt, launchBrowser } from '../../tests/browser/support.mjs';

const args = process.argv.slice(2);
let email = 'ana.novak@sandbox.zoom.test';
if (args[0] === '--email') { email = args[1]; args.splice(0, 2); }
const [connectUrl] = args;
if (!connectUrl) {
  console.error('usage: node open-in-browser.mjs [--email EMAIL] CONNECT_URL');
  process.exit(2);
}
const hub = new URL(connectUrl).origin;

const browser = await launchBrowser();
const page = await browser.newPage();
page.setDefaultTimeout(20_000);
try {
  await page.goto(connectUrl);
  await arrivedAt(page, (url) => url.pathname.startsWith('/sandbox/zoom/'),
    () => page.getByRole('button', { name: 'Connect Zoom', exact: true }).click());
  const signIn = page.getByRole('heading', { name: 'Sign in to the Zoom sandbox' });
  const consent = page.getByRole('heading', { name: 'Allow this app to use your Zoom account?' });
  await signIn.or(consent).waitFor();
  if (await signIn.isVisible()) {
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await consent.waitFor();
  }
  const landed = await arrivedAt(page, (url) => url.origin !== hub,
    () => page.getByRole('button', { name: 'Allow', exact: true }).click());
  console.log(`browser: landed on ${landed.origin}${landed.pathname}?${[...landed.searchParams.keys()].join('&')}`);
} catch (error) {
  const text = await page.locator('body').innerText().catch(() => '');
  console.error(`browser: ${error.message}\n  at ${page.url()}\n${text.slice(0, 1500)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
