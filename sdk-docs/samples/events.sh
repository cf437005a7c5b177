#!/usr/bin/env bash
# Events and their conferencing: create, move, read, list, the host's start link,
# drop the meeting, delete. The end user must have connected Zoom (quickstart.sh).
#
#   CONVENE_API_KEY=cvk_... sdk-docs/samples/events.sh
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
END_USER=${END_USER:-therapist-42}
API_KEY=${CONVENE_API_KEY:?export the application\'s API key (quickstart.sh prints it)}

api() {  # api METHOD PATH [JSON]: prints the response body; fails on an error status
  curl -sS --fail-with-body -X "$1" "$HUB$2" -H "Authorization: Bearer $API_KEY" \
    ${3:+-H "Content-Type: application/json" -d "$3"}
}

# Create (PUT upserts by your own id): 201, with conferencing.status "ready" and the
# join URL, or "pending" when Zoom is slow (then event.conferencing.ready follows).
api PUT /v1/events/intake-7 "$(jq -n --arg user "$END_USER" '{
  end_user_id: $user, summary: "Intake session", description: "First visit",
  start: "2030-12-02T09:00:00Z", end: "2030-12-02T09:50:00Z", tzid: "Europe/Ljubljana",
  attendees: [{email: "pat@example.org", name: "Pat"}],
  conferencing: {provider: "zoom", settings: {waiting_room: true, mute_upon_entry: true}}}')" |
  jq '{event_id, start, conferencing: {status: .conferencing.status, join_url: .conferencing.join_url}}'

# Move it an hour later. Without `conferencing` in the body the meeting stays and moves.
api PUT /v1/events/intake-7 "$(jq -n --arg user "$END_USER" '{
  end_user_id: $user, summary: "Intake session",
  start: "2030-12-02T10:00:00Z", end: "2030-12-02T10:50:00Z", tzid: "Europe/Ljubljana"}')" |
  jq '{start, status: .conferencing.status, meeting_id: .conferencing.meeting_id}'

# A weekly series: six Mondays, one recurring Zoom meeting.
api PUT /v1/events/group-1 "$(jq -n --arg user "$END_USER" '{
  end_user_id: $user, summary: "Group session",
  start: "2030-12-02T17:00:00Z", end: "2030-12-02T18:00:00Z", tzid: "Europe/Ljubljana",
  recurrence: {frequency: "weekly", interval: 1, by_day: ["MO"], count: 6},
  conferencing: {provider: "zoom"}}')" | jq '{event_id, recurrence, status: .conferencing.status}'

# Read one, and list the end user's events in a window (oldest start first, paged).
api GET /v1/events/intake-7 | jq '.conferencing.status'
api GET "/v1/events?end_user_id=$END_USER&from=2030-12-01T00:00:00Z&to=2030-12-31T00:00:00Z&limit=10" |
  jq '{events: [.events[] | .event_id], next_cursor}'

# The host's start link is fetched fresh each time (it expires): never store it.
api POST /v1/events/intake-7/start_url | jq 'has("start_url")'

# Zoom slow or down is not an error of the request. The sandbox's emulator can play
# it: here it answers the next Zoom API call with a 503. The event is stored with
# conferencing `pending` (error says why), the hub retries in the background, and
# the app gets event.conferencing.ready (or .failed when it gives up).
curl -sS --fail-with-body -X POST "$HUB/sandbox/zoom/_control/faults" \
  -H "Content-Type: application/json" -d '{"kind": "status", "scope": "api", "status": 503}' >/dev/null
api PUT /v1/events/followup-3 "$(jq -n --arg user "$END_USER" '{
  end_user_id: $user, summary: "Follow-up",
  start: "2030-12-09T09:00:00Z", end: "2030-12-09T09:30:00Z", tzid: "Europe/Ljubljana",
  conferencing: {provider: "zoom"}}')" | jq -c '.conferencing | {status, error}'
until [[ $(api GET /v1/events/followup-3 | jq -r .conferencing.status) == ready ]]; do sleep 1; done
echo "followup-3: ready"

# `conferencing: null` removes the meeting (deleted in Zoom) and keeps the event.
api PUT /v1/events/group-1 "$(jq -n --arg user "$END_USER" '{
  end_user_id: $user, summary: "Group session",
  start: "2030-12-02T17:00:00Z", end: "2030-12-02T18:00:00Z", tzid: "Europe/Ljubljana",
  recurrence: {frequency: "weekly", interval: 1, by_day: ["MO"], count: 6},
  conferencing: null}')" | jq '.conferencing.status'

# Delete the event and its Zoom meeting: 204, then 404.
api DELETE /v1/events/intake-7
status=$(curl -sS -o /dev/null -w '%{http_code}' "$HUB/v1/events/intake-7" -H "Authorization: Bearer $API_KEY")
echo "after DELETE: $status"
[[ $status == 404 ]]
