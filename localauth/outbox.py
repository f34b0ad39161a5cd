"""The local email outbox: each email the auth server "sends" is one JSON file in a directory.

A message is `{"id", "to", "subject", "text", "link", "type", "created_at"}`. File names start
with a nanosecond timestamp, so name order is sending order.
"""

import json
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path


def write_message(
    outbox_dir: Path | str, *, to: str, subject: str, text: str, link: str, type: str
) -> dict:  # noqa: A002 - the field is called "type"
    outbox = Path(outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    message = {
        "id": str(uuid.uuid4()),
        "to": to,
        "subject": subject,
        "text": text,
        "link": link,
        "type": type,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    name = f"{time.time_ns():020d}-{message['id']}.json"
    temporary = outbox / f".{name}.tmp"
    temporary.write_text(json.dumps(message, indent=2))
    os.replace(temporary, outbox / name)
    return message


def list_messages(outbox_dir: Path | str) -> list[dict]:
    """All messages, newest first."""
    outbox = Path(outbox_dir)
    if not outbox.is_dir():
        return []
    messages = []
    for path in sorted(outbox.glob("*.json"), reverse=True):
        try:
            messages.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return messages


def latest_link(outbox_dir: Path | str, email: str, type: str | None = None) -> str | None:  # noqa: A002
    """The link in the newest message to `email` (of the given type, if any)."""
    for message in list_messages(outbox_dir):
        if message.get("to", "").lower() == email.lower() and type in (None, message.get("type")):
            return message.get("link")
    return None
