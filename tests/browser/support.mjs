// Shared helpers for Convene's real-browser tests.
//
// The hub under test comes from the environment that `tests/browser/run` sets:
//   CONVENE_BROWSER_BASE_URL   the hub's public URL, e.g. http://127.0.0.1:41234
//   CONVENE_ADMIN_TOKEN        bearer token for /admin/api
//   CONVENE_BIN                the `convene` binary (for CLI helpers)
//   CONVENE_DATABASE_URL, CONVENE_DATA_DIR   the hub's database and data dir
//   CONVENE_BROWSER_ARTIFACTS  where failure screenshots go (else a new temp dir)
//   CONVENE_BROWSER_HUB_LOG    the hub's log, whose tail a failure prints
//   CHROMIUM_PATH              the browser (default /usr/bin/chromium)
// Without CONVENE_BROWSER_BASE_URL, `hub()` starts a hub of its own from
// target/debug/convene over a temp dir, so a single file can be run with
// `node --test connect.test.mjs` after `cargo build --bin convene`.
//
// Nothing here reaches the internet: pages of the apps under test
// (https://app.example.com) are answered by `page.route`, and every other
// non-loopback request is aborted.

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, openSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/** The origin of the pretend client application; never really contacted. */
export const APP_ORIGIN = 'https://app.example.com';
/** The redirect URI the tests register for their applications. */
export const APP_CALLBACK = `${APP_ORIGIN}/callback`;
/** A demo user the Zoom emulator offers as a one-click sign-in. */
export const DEMO_USER_EMAIL = 'ana.novak@sandbox.zoom.test';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// ---------------------------------------------------------------------------
// The hub

/**
 * @typedef {object} Hub
 * @property {string} baseUrl     the hub's public URL, no trailing slash
 * @property {string} adminToken  bearer token for /admin/api
 * @property {string} bin         path to the `convene` binary
 * @property {Record<string,string>} env  the environment the hub runs with
 * @property {string} [logFile]   the hub's log (stdout and stderr), if known
 */

let sharedHub;

/** The hub the tests run against: the one in the environment, or one started here. */
export async function hub() {
  if (!sharedHub) {
    const baseUrl = process.env.CONVENE_BROWSER_BASE_URL;
    if (baseUrl) {
      sharedHub = Promise.resolve({
        baseUrl: baseUrl.replace(/\/+$/, ''),
        adminToken: required('CONVENE_ADMIN_TOKEN'),
        bin: process.env.CONVENE_BIN ?? join(repoRoot, 'target', 'debug', 'convene'),
        env: hubVariables(process.env),
        logFile: process.env.CONVENE_BROWSER_HUB_LOG,
      });
    } else {
      sharedHub = startHub();
    }
  }
  return sharedHub;
}

/**
 * Starts `convene serve` in sandbox mode on a free loopback port over a new
 * temp dir, and waits for /healthz. It is stopped, and its dir removed, when
 * this process exits; `stop()` does it sooner.
 * @param {{bin?: string, env?: Record<string,string>}} [options] extra env for this hub
 * @returns {Promise<Hub & {stop: () => void}>}
 */
export async function startHub(options = {}) {
  const bin = options.bin ?? process.env.CONVENE_BIN ?? join(repoRoot, 'target', 'debug', 'convene');
  if (!existsSync(bin)) {
    throw new Error(`no convene binary at ${bin}: run \`cargo build --bin convene\` or set CONVENE_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'convene-browser-hub-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    CONVENE_LISTEN: `127.0.0.1:${port}`,
    CONVENE_PUBLIC_URL: baseUrl,
    CONVENE_DATABASE_URL: `sqlite://${dir}/convene.db?mode=rwc`,
    CONVENE_DATA_DIR: dir,
    CONVENE_ADMIN_TOKEN: `browser-test-admin-${port}`,
    CONVENE_LOG_FORMAT: 'pretty',
    ...options.env,
  };
  const childEnv = { ...withoutConveneVars(process.env), ...env };
  const logFile = join(dir, 'hub.log');
  const log = openSync(logFile, 'a');
  const child = spawn(bin, ['serve'], { cwd: dir, env: childEnv, stdio: ['ignore', log, log] });
  // Don't let the hub keep this process alive: it is killed when the process exits.
  child.unref();
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const stop = () => {
    if (exited === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(signal, () => { stop(); process.exit(code); });
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      stop();
      throw new Error(`convene serve exited (${JSON.stringify(exited)}) before it was healthy:\n${tail}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`convene serve did not answer /healthz with 200 within 60 s (log: ${logFile})`);
    }
    await sleep(200);
  }
  return { baseUrl, adminToken: env.CONVENE_ADMIN_TOKEN, bin, env, logFile, stop };
}

/**
 * Runs the `convene` binary with the hub's environment (so `app create`
 * writes to the hub's database) and returns its stdout.
 */
export async function convene(h, ...args) {
  const { stdout } = await promisify(execFile)(h.bin, args, {
    env: { ...withoutConveneVars(process.env), ...h.env },
    cwd: h.env.CONVENE_DATA_DIR ?? tmpdir(),
    timeout: 30_000,
  });
  return stdout;
}

// ---------------------------------------------------------------------------
// The hub's HTTP APIs

/**
 * A JSON request to the hub. Resolves to `{status, body, headers}`; it does
 * not throw on an error status, so callers can assert on it.
 */
export async function request(h, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(new URL(path, h.baseUrl + '/'), {
    method,
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Like `request`, but throws unless the status is `expected`; returns the body. */
export async function expectStatus(expected, h, method, path, options) {
  const response = await request(h, method, path, options);
  if (response.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

let appCounter = 0;

/**
 * Registers an application through the operator API.
 * @returns {Promise<{id: string, name: string, api_key: string, webhook_secret?: string}>}
 */
export async function registerApp(h, { name = `Browser Test App ${++appCounter}`, redirectUris = [APP_CALLBACK], webhookUrl } = {}) {
  const app = await expectStatus(201, h, 'POST', '/admin/api/applications', {
    token: h.adminToken,
    body: { name, redirect_uris: redirectUris, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) },
  });
  if (!app?.api_key) throw new Error(`POST /admin/api/applications returned no api_key: ${JSON.stringify(app)}`);
  return app;
}

/** Registers an application with `convene app create`, as an operator would on the host. */
export async function registerAppWithCli(h, { name = `Browser Test App ${++appCounter}`, redirectUris = [APP_CALLBACK], webhookUrl } = {}) {
  const args = ['app', 'create', '--name', name];
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  if (webhookUrl) args.push('--webhook-url', webhookUrl);
  return JSON.parse(await convene(h, ...args));
}

/**
 * Starts connecting an end user: `POST /v1/connect_sessions`.
 * @returns {Promise<{id: string, url: string, expires_at: string}>} `url` made absolute
 */
export async function connectSession(h, apiKey, { endUserId = 'therapist-42', redirectUri = APP_CALLBACK, state, ...rest } = {}) {
  const session = await expectStatus(201, h, 'POST', '/v1/connect_sessions', {
    token: apiKey,
    body: { end_user_id: endUserId, redirect_uri: redirectUri, ...(state !== undefined ? { state } : {}), ...rest },
  });
  return { ...session, url: new URL(session.url, h.baseUrl + '/').toString() };
}

/**
 * Makes a single-use account-page link for an end user:
 * `POST /v1/end_users/{id}/account_link`.
 * @returns {Promise<{url: string, expires_at: string}>} `url` made absolute
 */
export async function accountLink(h, apiKey, endUserId) {
  const link = await expectStatus(201, h, 'POST', `/v1/end_users/${encodeURIComponent(endUserId)}/account_link`, { token: apiKey });
  return { ...link, url: new URL(link.url, h.baseUrl + '/').toString() };
}

// ---------------------------------------------------------------------------
// The browser

/** Debian's Chromium under playwright-core; Playwright never downloads a browser here. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/**
 * A fresh context and page for one test, with the app's origin stubbed and
 * every other non-loopback request aborted. Calls `fn({page, context, visits})`;
 * when it throws, saves a screenshot, the page's HTML and the navigation log
 * into the artifacts dir, prints their paths, and rethrows.
 *
 * `visits` lists every main-frame document response in order, redirects
 * included: `{status, method, url}`.
 */
export async function withPage(t, browser, fn) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const blocked = [];
  await context.route(
    (url) => !isLoopback(url) && url.origin !== APP_ORIGIN,
    (route) => { blocked.push(route.request().url()); return route.abort('blockedbyclient'); },
  );
  await context.route(`${APP_ORIGIN}/**`, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: '<!doctype html><title>Example app</title><h1>Back at the example app</h1>',
  }));
  const page = await context.newPage();
  const visits = [];
  page.on('response', (response) => {
    const req = response.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      visits.push({ status: response.status(), method: req.method(), url: response.url() });
    }
  });
  try {
    return await fn({ page, context, visits });
  } catch (error) {
    await saveFailure(t, page, visits, blocked).catch((e) => console.error(`# could not save failure artifacts: ${e}`));
    throw error;
  } finally {
    await context.close().catch(() => {});
  }
}

async function saveFailure(t, page, visits, blocked) {
  const dir = artifactsDir();
  const stem = join(dir, slug(t.fullName ?? t.name));
  const lines = [
    `test: ${t.name}`,
    `url at failure: ${page.url()}`,
    'main-frame navigations:',
    ...visits.map((v) => `  ${v.status} ${v.method} ${v.url}`),
    ...(blocked.length ? ['blocked (not loopback):', ...blocked.map((u) => `  ${u}`)] : []),
  ];
  let text = '';
  try {
    await page.screenshot({ path: `${stem}.png`, fullPage: true, timeout: 10_000 });
    lines.push(`screenshot: ${stem}.png`);
    writeFileSync(`${stem}.html`, await page.content());
    lines.push(`html: ${stem}.html`);
    text = (await page.locator('body').innerText({ timeout: 5_000 })).trim();
  } catch (error) {
    lines.push(`(page not capturable: ${error.message.split('\n')[0]})`);
  }
  if (text) lines.push('page text:', ...text.slice(0, 2_000).split('\n').map((l) => `  | ${l}`));
  writeFileSync(`${stem}.txt`, lines.join('\n') + '\n');
  const hubLog = (await hub().catch(() => ({}))).logFile;
  if (hubLog && existsSync(hubLog)) {
    const log = readFileSync(hubLog, 'utf8');
    writeFileSync(join(dir, 'hub.log'), log);
    lines.push(`hub log: ${join(dir, 'hub.log')}; its last lines:`, ...log.trimEnd().split('\n').slice(-30).map((l) => `  hub| ${l}`));
  }
  for (const line of lines) t.diagnostic(line);
}

let artifacts;
function artifactsDir() {
  if (!artifacts) {
    artifacts = process.env.CONVENE_BROWSER_ARTIFACTS ?? mkdtempSync(join(tmpdir(), 'convene-browser-artifacts-'));
    mkdirSync(artifacts, { recursive: true });
  }
  return artifacts;
}

/**
 * Does `action` (e.g. `() => button.click()`), then resolves once the page is
 * at a URL matching `predicate`, and returns that URL. Fails at once, rather
 * than at the timeout, when a main-frame navigation on the way answers 4xx or
 * 5xx (an error page instead), so pass the action that starts the navigation
 * rather than doing it first.
 */
export async function arrivedAt(page, predicate, action = async () => {}, timeout = 20_000) {
  let onResponse;
  const errorPage = new Promise((_, reject) => {
    onResponse = (response) => {
      const req = response.request();
      if (req.isNavigationRequest() && req.frame() === page.mainFrame() && response.status() >= 400) {
        const url = new URL(response.url());
        if (!predicate(url)) {
          const error = new Error(`the browser stopped at ${response.status()} ${req.method()} ${response.url()} instead of the expected page`);
          error.stack = error.message;
          // Let the error page load, so the failure screenshot shows it.
          page.waitForURL(url.href, { waitUntil: 'load', timeout: 5_000 }).catch(() => {}).then(() => reject(error));
        }
      }
    };
    page.on('response', onResponse);
  });
  errorPage.catch(() => {});
  try {
    await Promise.race([
      (async () => {
        await action();
        await page.waitForURL((url) => predicate(url), { timeout, waitUntil: 'commit' });
      })(),
      errorPage,
    ]);
  } finally {
    page.off('response', onResponse);
  }
  return new URL(page.url());
}

// ---------------------------------------------------------------------------
// Small things

function isLoopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol === 'data:' || url.protocol === 'about:';
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The hub's own settings in `env`: CONVENE_* less the harness's variables (the hub warns on unknown ones). */
function hubVariables(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => isHubVariable(key)));
}

function isHubVariable(key) {
  return key.startsWith('CONVENE_') && !key.startsWith('CONVENE_BROWSER_') && key !== 'CONVENE_BIN';
}

function withoutConveneVars(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('CONVENE_')));
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// ---------------------------------------------------------------------------
// Flows

/**
 * Connects Zoom for an end user the way a person does, in `page`: opens a new
 * connect URL, presses Connect Zoom, signs in to the Zoom emulator as `email`
 * (unless the emulator still has them signed in) and allows. Resolves to the
 * `link_id` the app got back.
 */
export async function connectZoomInBrowser(page, h, apiKey, { endUserId, email }) {
  const session = await connectSession(h, apiKey, { endUserId, redirectUri: APP_CALLBACK });
  await page.goto(session.url);
  await arrivedAt(
    page,
    (url) => url.origin === h.baseUrl && url.pathname.startsWith('/sandbox/zoom/'),
    () => page.getByRole('button', { name: 'Connect Zoom', exact: true }).click(),
  );
  const signIn = page.getByRole('heading', { name: 'Sign in to the Zoom sandbox' });
  const consent = page.getByRole('heading', { name: 'Allow this app to use your Zoom account?' });
  await signIn.or(consent).waitFor();
  if (await signIn.isVisible()) {
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await consent.waitFor();
  }
  const landed = await arrivedAt(
    page,
    (url) => url.origin === APP_ORIGIN,
    () => page.getByRole('button', { name: 'Allow', exact: true }).click(),
  );
  const linkId = landed.searchParams.get('link_id');
  if (landed.searchParams.get('status') !== 'connected' || !linkId) {
    throw new Error(`connecting ${endUserId} did not succeed: ${landed.search}`);
  }
  return linkId;
}

/** Nothing on the page is wider than a 360 px phone screen (tables may scroll in their own boxes). */
export async function assertReadableAt360(page) {
  await page.setViewportSize({ width: 360, height: 780 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) throw new Error(`${page.url()} is ${width}px wide at 360px`);
  await page.setViewportSize({ width: 1100, height: 900 });
}
