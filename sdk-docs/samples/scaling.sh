#!/usr/bin/env bash
# Two hub instances over one PostgreSQL database: same master keys, same settings,
# migrated once. What one instance writes, the other serves at once: an application
# registered on A works on B, and a key revoked on A is refused by B.
#
#   DATABASE_URL=postgres://convene@127.0.0.1/convene sdk-docs/samples/scaling.sh
#
# Starts both instances in sandbox mode on ports 8081 and 8082 (PORT_A, PORT_B) from
# HUB_BIN (default target/release/convene), and stops them when it ends.
set -euo pipefail

DATABASE_URL=${DATABASE_URL:?a PostgreSQL URL, e.g. postgres://convene@127.0.0.1/convene}
HUB_BIN=${HUB_BIN:-target/release/convene}
PORT_A=${PORT_A:-8081} PORT_B=${PORT_B:-8082}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait; rm -rf "$work"' EXIT

# What every instance shares: the database, the vault keys (the first one seals, all
# open), and the operator token. With real Zoom, also the CONVENE_ZOOM_* settings.
export CONVENE_DATABASE_URL=$DATABASE_URL
export CONVENE_MASTER_KEYS="k1:$(openssl rand -base64 32)"
export CONVENE_ADMIN_TOKEN=$(openssl rand -hex 16)
# The sandbox's demo practice (/demo) belongs to one instance; with real Zoom it is off.
export CONVENE_DEMO=off

# Migrate once, before the instances start.
"$HUB_BIN" migrate 2>"$work/migrate.log" || { cat "$work/migrate.log" >&2; exit 1; }

for port in "$PORT_A" "$PORT_B"; do
  CONVENE_LISTEN=127.0.0.1:$port CONVENE_PUBLIC_URL=http://127.0.0.1:$port \
    "$HUB_BIN" serve >"$work/hub-$port.log" 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
done
A=http://127.0.0.1:$PORT_A B=http://127.0.0.1:$PORT_B
echo "instances up: $A $B"

# Register an application on A.
app=$(curl -sS --fail-with-body -X POST "$A/admin/api/applications" \
  -H "Authorization: Bearer $CONVENE_ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"name": "Calm Therapy", "redirect_uris": ["https://calm.example/zoom/done"]}')
app_id=$(jq -r .id <<<"$app")
# A second key, made on A.
key=$(curl -sS --fail-with-body -X POST "$A/admin/api/applications/$app_id/keys" \
  -H "Authorization: Bearer $CONVENE_ADMIN_TOKEN")

# B serves with it at once.
session=$(curl -sS --fail-with-body -X POST "$B/v1/connect_sessions" \
  -H "Authorization: Bearer $(jq -r .key <<<"$key")" -H "Content-Type: application/json" \
  -d '{"end_user_id": "therapist-42", "redirect_uri": "https://calm.example/zoom/done"}')
echo "session made on B: $(jq -r .id <<<"$session")"
# ...and A reads what B wrote.
curl -sS --fail-with-body "$A/v1/connect_sessions/$(jq -r .id <<<"$session")" \
  -H "Authorization: Bearer $(jq -r .key <<<"$key")" | jq -c '{id, status}'

# Revoke the key on A: B refuses it on the next request.
curl -sS --fail-with-body -X DELETE "$A/admin/api/applications/$app_id/keys/$(jq -r .id <<<"$key")" \
  -H "Authorization: Bearer $CONVENE_ADMIN_TOKEN"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$B/v1/end_users/therapist-42" \
  -H "Authorization: Bearer $(jq -r .key <<<"$key")")
echo "revoked on A, used on B: $status"
[[ $status == 401 ]]
