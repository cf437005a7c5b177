"""Verifies a Convene webhook (Standard Webhooks) with Python's standard library only.

    from verify_webhook import verify_webhook
    verify_webhook(os.environ["WEBHOOK_SECRET"], request.headers, request.get_data())

As a command, over a delivery saved by receiver.mjs (files `headers` and `body`):
    WEBHOOK_SECRET=whsec_... python3 verify_webhook.py deliveries/msg_...
"""

import base64
import binascii
import hashlib
import hmac
import os
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def verify_webhook(secret, headers, body, now=None):
    """True when `headers` (a mapping; names looked up in lower case) carry a valid
    signature of `body` (the raw bytes, exactly as received) under `secret`
    (`whsec_<base64 key>`), sent within five minutes of now."""
    headers = {name.lower(): value for name, value in headers.items()}
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures and secret.startswith("whsec_")):
        return False
    if not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    try:
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
    except binascii.Error:
        return False
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may carry several signatures ("v1,abc v1,def") while a secret is rotated.
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def read_delivery(directory):
    """A delivery saved by receiver.mjs: `headers` ("name: value" lines) and `body`."""
    headers = {}
    with open(os.path.join(directory, "headers"), encoding="utf-8") as lines:
        for line in lines:
            name, sep, value = line.rstrip("\n").partition(": ")
            if sep:
                headers[name.lower()] = value
    with open(os.path.join(directory, "body"), "rb") as raw:
        return headers, raw.read()


if __name__ == "__main__":
    secret = os.environ.get("WEBHOOK_SECRET")
    if len(sys.argv) != 2 or not secret:
        sys.exit("usage: WEBHOOK_SECRET=whsec_... python3 verify_webhook.py DELIVERY_DIR")
    headers, body = read_delivery(sys.argv[1])
    if verify_webhook(secret, headers, body):
        print(f"valid: {headers['webhook-id']}")
    else:
        print(f"INVALID: {sys.argv[1]}")
        sys.exit(1)
