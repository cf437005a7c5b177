#!/usr/bin/env bash
# Zero to a Zoom meeting in the sandbox: register an application, connect an end
# user's (emulated) Zoom account in the browser, and give an event a Zoom meeting.
#
#   CONVENE_ADMIN_TOKEN=dev-admin sdk-docs/samples/quickstart.sh
#
# Needs curl and jq, a hub started with the same CONVENE_ADMIN_TOKEN (see
# quickstart.md), and, to see the redirect and webhooks, receiver.mjs running.
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
APP=${APP:-http://127.0.0.1:4000}              # where receiver.mjs listens
END_USER=${END_USER:-therapist-42}
ADMIN_TOKEN=${CONVENE_ADMIN_TOKEN:?export the CONVENE_ADMIN_TOKEN the hub was started with}

# 1. Register an application: its redirect URI and webhook URL are the sample app's.
app=$(curl -sS --fail-with-body -X POST "$HUB/admin/api/applications" \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d "$(jq -n --arg app "$APP" \
    '{name: "Calm Therapy", redirect_uris: ["\($app)/zoom/done"], webhook_url: "\($app)/hooks"}')")
API_KEY=$(jq -r .api_key <<<"$app")
WEBHOOK_SECRET=$(jq -r .webhook_secret <<<"$app")

# 2. Start connecting the end user: a connect session gives a URL for their browser.
state=$(openssl rand -hex 16)   # keep it; the redirect brings it back
session=$(curl -sS --fail-with-body -X POST "$HUB/v1/connect_sessions" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "$(jq -n --arg user "$END_USER" --arg app "$APP" --arg state "$state" \
    '{end_user_id: $user, redirect_uri: "\($app)/zoom/done", state: $state}')")
url=$(jq -r .url <<<"$session")
echo "Open this URL in a browser, choose Connect Zoom, sign in with any email, and Allow:"
echo "  $url"
if [[ -n ${BROWSER:-} ]]; then $BROWSER "$url" & fi

# 3. Wait until the end user has an active Zoom link (the app also gets link.connected).
until curl -sS --fail-with-body "$HUB/v1/end_users/$END_USER" -H "Authorization: Bearer $API_KEY" |
  jq -e '.links[] | select(.status == "active")' >/dev/null; do
  sleep 1
done
echo "Connected."

# 4. Give an event a Zoom meeting.
event=$(curl -sS --fail-with-body -X PUT "$HUB/v1/events/appt-1" \
  -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
  -d "$(jq -n --arg user "$END_USER" '{
        end_user_id: $user, summary: "Therapy session",
        start: "2030-12-01T15:00:00Z", end: "2030-12-01T15:50:00Z", tzid: "Europe/Ljubljana",
        attendees: [{email: "pat@example.org", name: "Pat"}],
        conferencing: {provider: "zoom", settings: {waiting_room: true}}}')")

# 5. `ready` at once, or `pending` while Zoom is slow: then wait for `ready`.
while [[ $(jq -r .conferencing.status <<<"$event") == pending ]]; do
  sleep 1
  event=$(curl -sS --fail-with-body "$HUB/v1/events/appt-1" -H "Authorization: Bearer $API_KEY")
done
jq '{event_id, conferencing}' <<<"$event"
[[ $(jq -r .conferencing.status <<<"$event") == ready ]]
echo "First meeting ready in $SECONDS s: $(jq -r .conferencing.join_url <<<"$event")"

# To go on with the other guides:
echo "export CONVENE_API_KEY=$API_KEY WEBHOOK_SECRET=$WEBHOOK_SECRET"
