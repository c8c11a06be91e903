"""Sends Segment messages to Tally with Segment's Python SDK.

Usage: segment_send.py URL WRITE_KEY MESSAGES_JSON [gzip]

MESSAGES_JSON holds a list of messages in Segment's own shape (`type`,
`messageId`, `userId`, `timestamp` and the type's fields); each becomes one
call of the SDK; with `gzip`, the SDK compresses each request's body. Exits
1 when the SDK reports an upload error.
"""

import json
import sys
from datetime import datetime

import segment.analytics as analytics

# Segment's message fields, as the SDK's keyword arguments name them.
ARGUMENTS = {
    "messageId": "message_id",
    "userId": "user_id",
    "event": "event",
    "name": "name",
    "properties": "properties",
    "traits": "traits",
    "groupId": "group_id",
}


def main():
    url, write_key, messages_path = sys.argv[1:4]
    gzip = sys.argv[4:] == ["gzip"]
    with open(messages_path) as file:
        messages = json.load(file)
    errors = []
    client = analytics.Client(
        write_key,
        host=url,
        gzip=gzip,
        on_error=lambda error, batch: errors.append(f"{error} ({len(batch)} messages)"),
        # A refused batch is reported at once rather than retried for minutes.
        max_retries=1,
    )
    for message in messages:
        call = getattr(client, message["type"])
        arguments = {ARGUMENTS[key]: value for key, value in message.items() if key in ARGUMENTS}
        call(timestamp=datetime.fromisoformat(message["timestamp"]), **arguments)
    client.shutdown()
    for error in errors:
        print(f"segment-analytics-python: {error}", file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
