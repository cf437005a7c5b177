// Verifies a Convene webhook (Standard Webhooks) with Node's standard library only.
//
//   import { verifyWebhook } from './verify-webhook.mjs';
//   verifyWebhook(process.env.WEBHOOK_SECRET, req.headers, rawBody)   // true or false
//
// As a command, over a delivery saved by receiver.mjs (files `headers` and `body`):
//   WEBHOOK_SECRET=whsec_... node verify-webhook.mjs deliveries/msg_...
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOLERANCE_SECONDS = 5 * 60;

/**
 * True when `headers` (lower-case names) carry a valid signature of `body` (the raw
 * bytes, a Buffer, exactly as received) under `secret` (`whsec_<base64 key>`), sent
 * within five minutes of now.
 */
export function verifyWebhook(secret, headers, body, now = Date.now() / 1000) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || !secret.startsWith('whsec_')) return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) return false;

  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  // The header may carry several signatures ("v1,abc v1,def") while a secret is rotated.
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Reads a delivery saved by receiver.mjs: `headers` ("name: value" lines) and `body`. */
export function readDelivery(dir) {
  const headers = {};
  for (const line of readFileSync(join(dir, 'headers'), 'utf8').split('\n')) {
    const at = line.indexOf(': ');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 2);
  }
  return { headers, body: readFileSync(join(dir, 'body')) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir] = process.argv.slice(2);
  const secret = process.env.WEBHOOK_SECRET;
  if (!dir || !secret) {
    console.error('usage: WEBHOOK_SECRET=whsec_... node verify-webhook.mjs DELIVERY_DIR');
    process.exit(2);
  }
  const { headers, body } = readDelivery(dir);
  if (verifyWebhook(secret, headers, body)) {
    console.log(`valid: ${headers['webhook-id']}`);
  } else {
    console.log(`INVALID: ${dir}`);
    process.exit(1);
  }
}
