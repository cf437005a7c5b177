#!/usr/bin/env bash
# Checks the hub's Zoom event notification endpoint the way Zoom does: the
# endpoint.url_validation challenge, then a signed notification and a forged one.
#
#   ZOOM_WEBHOOK_SECRET=... sdk-docs/samples/zoom-endpoint-check.sh https://hub.example.com
#
# ZOOM_WEBHOOK_SECRET is the hub's CONVENE_ZOOM_WEBHOOK_SECRET (Zoom's "Secret Token");
# the default is the sandbox's.
set -euo pipefail

HUB=${1:-${HUB:-http://127.0.0.1:8080}}
SECRET=${ZOOM_WEBHOOK_SECRET:-convene-sandbox-webhook-secret}
hmac_hex() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //'; }

# 1. URL validation: Zoom sends a plainToken and expects, within 3 s,
#    encryptedToken = hex(HMAC-SHA256(secret token, plainToken)).
plain=$(openssl rand -hex 11)
answer=$(curl -sS --fail-with-body -X POST "$HUB/webhooks/zoom" -H "Content-Type: application/json" \
  -d "{\"event\":\"endpoint.url_validation\",\"payload\":{\"plainToken\":\"$plain\"},\"event_ts\":$(date +%s)000}")
[[ $(jq -r .encryptedToken <<<"$answer") == "$(hmac_hex "$plain")" ]]
echo "url_validation: ok"

# 2. A notification signed as Zoom signs: x-zm-signature = v0=hex(HMAC-SHA256(secret
#    token, "v0:{timestamp}:{body}")). This meeting is unknown to the hub: accepted, ignored.
ts=$(date +%s)
body="{\"event\":\"meeting.updated\",\"event_ts\":${ts}000,\"payload\":{\"account_id\":\"acc\",\"object\":{\"id\":1,\"topic\":\"check\"}}}"
status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$HUB/webhooks/zoom" \
  -H "Content-Type: application/json" -H "x-zm-request-timestamp: $ts" \
  -H "x-zm-signature: v0=$(hmac_hex "v0:$ts:$body")" -d "$body")
echo "signed notification: $status"
[[ $status == 200 ]]

# 3. The same notification with a wrong signature is refused.
status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$HUB/webhooks/zoom" \
  -H "Content-Type: application/json" -H "x-zm-request-timestamp: $ts" \
  -H "x-zm-signature: v0=$(hmac_hex "v0:$ts:$body tampered")" -d "$body")
echo "forged notification: $status"
[[ $status == 401 ]]
