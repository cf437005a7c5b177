// A sample client application, Node's standard library only. It serves the two URLs
// an application registers with the hub:
//
//   GET  /zoom/done   the connect redirect: where the end user's browser comes back
//   POST /hooks       the webhook URL: verifies each delivery, saves it, answers 204
//
//   PORT=4000 WEBHOOK_SECRET=whsec_... DELIVERIES_DIR=./deliveries node receiver.mjs
//
// Without WEBHOOK_SECRET it saves deliveries unverified (the secret is only known once
// the application is registered). Each delivery goes to DELIVERIES_DIR/<webhook-id>/
// as `headers` and `body`, which the verify-webhook samples read.
import { createServer } from 'node:http';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyWebhook } from './verify-webhook.mjs';

const port = Number(process.env.PORT ?? 4000);
const secret = process.env.WEBHOOK_SECRET;
const saved = process.env.DELIVERIES_DIR ?? 'deliveries';
mkdirSync(saved, { recursive: true });

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  if (req.method === 'GET' && url.pathname === '/zoom/done') return connectReturn(url, res);
  if (req.method === 'POST' && url.pathname === '/hooks') return webhook(req, res);
  res.writeHead(404).end();
});

// The browser comes back from the hub's connect page with either
//   status=connected&state=…&link_id=…&end_user_id=…
// or error=access_denied|provider_error&state=…
function connectReturn(url, res) {
  const q = Object.fromEntries(url.searchParams);
  // A real application compares `state` with the one it put in the connect session
  // (kept in the user's session) before trusting anything else here.
  appendFileSync(join(saved, 'redirects.log'), JSON.stringify(q) + '\n');
  let message;
  if (q.status === 'connected') {
    message = `Zoom is connected for ${q.end_user_id} (link ${q.link_id}).`;
  } else if (q.error === 'access_denied') {
    message = 'You skipped connecting Zoom. You can connect it later in settings.';
  } else {
    message = 'Zoom could not be connected just now. Please try again.';
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Calm Therapy</title><h1>${escape(message)}</h1>`);
}

async function webhook(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks); // the raw bytes: verify before parsing
  if (secret && !verifyWebhook(secret, req.headers, body)) {
    console.log('rejected a webhook with a bad signature');
    return res.writeHead(400).end();
  }
  // Deliveries are at least once: the same webhook-id can come again.
  const id = req.headers['webhook-id'] ?? '';
  const dir = join(saved, id.replace(/[^A-Za-z0-9_-]/g, ''));
  if (id && !existsSync(dir)) {
    mkdirSync(dir);
    const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
    writeFileSync(join(dir, 'headers'), names.map((n) => `${n}: ${req.headers[n]}\n`).join(''));
    writeFileSync(join(dir, 'body'), body);
    const { type, data } = JSON.parse(body);
    console.log(`webhook ${type}: ${data.id ?? data.event_id} (${secret ? 'verified' : 'unverified'})`);
  }
  // Answer at once (the hub waits 10 s); do slow work after answering.
  res.writeHead(204).end();
}

function escape(text) {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

server.listen(port, '127.0.0.1', () => console.log(`sample app at http://127.0.0.1:${port}`));
