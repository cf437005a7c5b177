#!/usr/bin/env bash
# Verifies a Convene webhook (Standard Webhooks) with openssl and base64.
#
#   WEBHOOK_SECRET=whsec_... verify-webhook.sh DELIVERY_DIR
#
# DELIVERY_DIR holds the delivery as receiver.mjs saves it: `headers` ("name: value"
# lines) and `body` (the raw bytes). Exit status 0 when the signature is valid.
set -euo pipefail
dir=${1:?usage: WEBHOOK_SECRET=whsec_... verify-webhook.sh DELIVERY_DIR}
secret=${WEBHOOK_SECRET:?set WEBHOOK_SECRET to the application\'s whsec_... secret}

header() { sed -n "s/^$1: //p" "$dir/headers" | tr -d '\r'; }
id=$(header webhook-id)
timestamp=$(header webhook-timestamp)
signatures=$(header webhook-signature)

# Refuse deliveries sent more than five minutes from now (replays).
[[ $timestamp =~ ^[0-9]+$ ]] || { echo "INVALID: no timestamp"; exit 1; }
age=$(( $(date +%s) - timestamp ))
(( age <= 300 && age >= -300 )) || { echo "INVALID: timestamp too far from now"; exit 1; }

# The HMAC key is the base64-decoded part after "whsec_"; openssl takes it as hex.
key_hex=$(printf '%s' "${secret#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
expected=$(
  { printf '%s.%s.' "$id" "$timestamp"; cat "$dir/body"; } |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -binary | base64
)

# The header may carry several signatures ("v1,abc v1,def") while a secret is rotated.
for signature in $signatures; do
  if [[ $signature == "v1,$expected" ]]; then
    echo "valid: $id"
    exit 0
  fi
done
echo "INVALID: $dir"
exit 1
