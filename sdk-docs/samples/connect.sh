#!/usr/bin/env bash
# The connect flow from the application's side: a connect session (retried safely
# with an Idempotency-Key), the end user's browser, the session's state, the links,
# the end user's account page, and the application dropping its link.
#
#   CONVENE_API_KEY=cvk_... sdk-docs/samples/connect.sh
#
# The application must have $APP/zoom/done as a redirect URI (quickstart.sh registers
# it); receiver.mjs shows how to handle the browser coming back there.
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
APP=${APP:-http://127.0.0.1:4000}
END_USER=${END_USER:-therapist-43}
API_KEY=${CONVENE_API_KEY:?export the application\'s API key (quickstart.sh prints it)}

# A connect session. `state` comes back on the redirect: bind it to the user's session.
# The same Idempotency-Key with the same body returns the same session, so a retry
# after a timeout cannot make two.
state=$(openssl rand -hex 16)
body=$(jq -n --arg user "$END_USER" --arg app "$APP" --arg state "$state" '{
  end_user_id: $user, redirect_uri: "\($app)/zoom/done", state: $state,
  end_user_email: "dr.lee@example.org", end_user_name: "Dr. Lee"}')
key="connect-$END_USER-$state"
create_session() {
  curl -sS --fail-with-body -X POST "$HUB/v1/connect_sessions" -H "Idempotency-Key: $key" \
    -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" -d "$body"
}
session=$(create_session)
again=$(create_session)
[[ $(jq -r .id <<<"$session") == $(jq -r .id <<<"$again") ]] && echo "retry: same session"
session_id=$(jq -r .id <<<"$session")

# Send the end user's browser to the URL (a redirect, a link, a button).
url=$(jq -r .url <<<"$session")
echo "Open this URL in a browser: $url"
if [[ -n ${BROWSER:-} ]]; then $BROWSER "$url" & fi

# The session is `open` until the end user finishes (`used`) or it expires (`expired`).
until [[ $(curl -sS --fail-with-body "$HUB/v1/connect_sessions/$session_id" \
  -H "Authorization: Bearer $API_KEY" | jq -r .status) != open ]]; do sleep 1; done

# The end user's links: one per connected Zoom account, `active` or `needs_reauth`.
links=$(curl -sS --fail-with-body "$HUB/v1/end_users/$END_USER" -H "Authorization: Bearer $API_KEY")
jq '.links[] | {id, status, account}' <<<"$links"
link_id=$(jq -r '.links[0].id // empty' <<<"$links")
[[ -n $link_id ]] || { echo "no link: the end user skipped, or Zoom refused" >&2; exit 1; }

# A single-use sign-in link (15 minutes) to the end user's account page, where they
# see every app using their Zoom account and can remove any of them.
curl -sS --fail-with-body -X POST "$HUB/v1/end_users/$END_USER/account_link" \
  -H "Authorization: Bearer $API_KEY" | jq '{url_starts: (.url | split("?")[0]), expires_at}'

# The application drops its link: 204, and the app gets link.removed (reason "app").
curl -sS --fail-with-body -X DELETE "$HUB/v1/links/$link_id" -H "Authorization: Bearer $API_KEY"
curl -sS --fail-with-body "$HUB/v1/end_users/$END_USER" -H "Authorization: Bearer $API_KEY" | jq -c .
