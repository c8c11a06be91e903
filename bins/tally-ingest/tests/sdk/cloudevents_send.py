"""Sends CloudEvents to Tally's `POST /api/v1/events`, made into HTTP
messages by the CloudEvents Python SDK.

Usage: cloudevents_send.py URL WRITE_KEY EVENTS_JSON MODE

EVENTS_JSON holds a list of events: their context attributes (`id`, `source`,
`type`, `subject`, `time`) and `data`. MODE is `structured` (one request per
event), `batched` (one request holding every event) or `binary` (one request
per event, attributes in `ce-*` headers). Prints each answer's body on a line
of its own; exits 1 at the first answer that is not a success.
"""

import json
import sys
from datetime import datetime

import requests
from cloudevents.core.bindings.http import HTTPMessage, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent


def main():
    url, write_key, events_path, mode = sys.argv[1:5]
    with open(events_path) as file:
        events = [cloud_event(event) for event in json.load(file)]
    if mode == "structured":
        messages = [to_structured(event, JSONFormat()) for event in events]
    elif mode == "binary":
        messages = [to_binary(event, JSONFormat()) for event in events]
    elif mode == "batched":
        # The SDK writes one event; a batch is a JSON array of those bodies.
        bodies = [json.loads(to_structured(event, JSONFormat()).body) for event in events]
        headers = {"Content-Type": "application/cloudevents-batch+json"}
        messages = [HTTPMessage(headers=headers, body=json.dumps(bodies).encode())]
    else:
        sys.exit(f"cloudevents: unknown mode {mode!r}; use structured, batched or binary")
    for message in messages:
        answer = requests.post(
            f"{url}/api/v1/events",
            data=message.body,
            headers={**message.headers, "Authorization": f"Bearer {write_key}"},
            timeout=30,
        )
        print(answer.text.replace("\n", " "))
        if not answer.ok:
            sys.exit(f"cloudevents: {answer.status_code} {answer.text}")


def cloud_event(event):
    attributes = {key: value for key, value in event.items() if key != "data"}
    attributes["time"] = datetime.fromisoformat(event["time"])
    attributes["datacontenttype"] = "application/json"
    return CloudEvent(attributes, event["data"])


main()
