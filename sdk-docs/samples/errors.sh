#!/usr/bin/env bash
# Errors and retries. Every error is application/problem+json with a stable `code`;
# 422 adds `errors[]`; 429 says when to retry in Retry-After.
#
#   CONVENE_API_KEY=cvk_... sdk-docs/samples/errors.sh
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
APP=${APP:-http://127.0.0.1:4000}
API_KEY=${CONVENE_API_KEY:?export the application\'s API key (quickstart.sh prints it)}

# Shows one request's status and problem: `problem METHOD PATH [JSON]`.
problem() {
  curl -sS -X "$1" "$HUB$2" -H "Authorization: Bearer ${KEY:-$API_KEY}" \
    ${3:+-H "Content-Type: application/json" -d "$3"} |
    jq -c '{status, code, detail, errors}'
}

# 401 unauthorized: a missing, unknown or revoked key.
KEY=cvk_not-a-real-key problem GET /v1/events/appt-1

# 404 not_found: nothing of that id for this application.
problem GET /v1/events/no-such-event

# 422 validation_failed: each bad field in errors[].
problem PUT /v1/events/bad-1 '{"end_user_id": "therapist-42", "summary": "Oops",
  "start": "2030-12-01T15:00:00Z", "end": "2030-12-01T14:00:00Z", "tzid": "Mars/Olympus"}'

# 409 not_connected: the host has not connected Zoom; send them to a connect session.
problem PUT /v1/events/bad-2 '{"end_user_id": "nobody-yet", "summary": "Session",
  "start": "2030-12-01T15:00:00Z", "end": "2030-12-01T15:50:00Z", "tzid": "UTC",
  "conferencing": {"provider": "zoom"}}'

# 400 invalid_request: not JSON.
problem PUT /v1/events/bad-3 '{"summary": '

# Idempotency-Key: a retry with the same key and body gets the same session;
# the same key with another body is a 422.
session() {
  curl -sS -X POST "$HUB/v1/connect_sessions" -H "Idempotency-Key: $1" \
    -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
    -d "{\"end_user_id\": \"$2\", \"redirect_uri\": \"$APP/zoom/done\"}"
}
key="retry-$(openssl rand -hex 8)"
first=$(session "$key" therapist-44 | jq -r .id)
second=$(session "$key" therapist-44 | jq -r .id)
echo "same key, same body: $first = $second"
[[ $first == "$second" ]]
session "$key" therapist-45 | jq -c '{status, code, errors}'

# 429 rate_limited: each API key may make CONVENE_RATE_LIMIT_PER_SECOND requests a
# second (50 by default) per hub instance. 150 at once are sure to meet the limit.
urls=()
for _ in $(seq 150); do urls+=(-o /dev/null "$HUB/v1/end_users/therapist-42"); done
answers=$(curl --no-progress-meter -Z --parallel-max 150 -H "Authorization: Bearer $API_KEY" \
  -w '%{http_code} retry-after=%header{retry-after}\n' "${urls[@]}" | sort | uniq -c)
echo "$answers"
grep -q ' 429 retry-after=[0-9]' <<<"$answers"

# A client that retries what is worth retrying: 429 (after Retry-After seconds) and
# 5xx or no answer (with growing waits), a few times, then gives up. 4xx other than
# 429 is the request's fault: retrying cannot help.
with_retries() {  # with_retries CURL_ARGS...: prints the body of the final answer
  local attempt status wait headers body
  headers=$(mktemp) body=$(mktemp)
  for attempt in 1 2 3 4 5; do
    status=$(curl -sS -D "$headers" -o "$body" -w '%{http_code}' "$@" || echo 000)
    case $status in
      2??) cat "$body"; rm -f "$headers" "$body"; return 0 ;;
      429) wait=$(sed -n 's/^retry-after: *\([0-9]*\).*/\1/ip' "$headers") ;;
      5?? | 000) wait=$((2 ** attempt)) ;;
      *) cat "$body"; rm -f "$headers" "$body"; return 1 ;;
    esac
    echo "attempt $attempt: $status, retrying in ${wait:-1} s" >&2
    sleep "${wait:-1}"
  done
  cat "$body"; rm -f "$headers" "$body"; return 1
}
with_retries "$HUB/v1/end_users/therapist-42" -H "Authorization: Bearer $API_KEY" | jq -c '{end_user_id}'
