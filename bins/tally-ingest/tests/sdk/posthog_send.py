"""Sends events to Tally with PostHog's Python SDK.

Usage: posthog_send.py URL WRITE_KEY CALLS_JSON [gzip]

CALLS_JSON holds a list of calls of the SDK's client: `{"call": "capture",
"event": ..., "distinct_id": ..., "uuid": ..., "timestamp": ..., ...}`, the
other keys being the method's keyword arguments; with `gzip`, the SDK
compresses each request's body. Exits 1 when the SDK reports an upload error
or drops an event.
"""

import json
import sys
from datetime import datetime

from posthog import Posthog


def main():
    url, write_key, calls_path = sys.argv[1:4]
    gzip = sys.argv[4:] == ["gzip"]
    with open(calls_path) as file:
        calls = json.load(file)
    errors = []
    client = Posthog(
        project_api_key=write_key,
        host=url,
        gzip=gzip,
        on_error=lambda error, batch: errors.append(f"{error} ({len(batch)} events)"),
        # PostHog's classic capture API (`POST /batch/`), whatever the environment says.
        capture_mode="v0",
        max_retries=0,
    )
    for call in calls:
        arguments = {key: value for key, value in call.items() if key != "call"}
        arguments["timestamp"] = datetime.fromisoformat(call["timestamp"])
        if getattr(client, call["call"])(**arguments) is None:
            errors.append(f"the SDK dropped {call}")
    client.flush()
    client.shutdown()
    for error in errors:
        print(f"posthog: {error}", file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
