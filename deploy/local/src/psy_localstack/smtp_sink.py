"""SMTP sink: accepts every message over SMTP, keeps it, and lists it over HTTP.

GET /messages            [{id, from, to, subject, received_at}]
GET /messages/{id}       the same plus text, html, attachments [{filename, content_type, size}]
GET /messages/{id}/raw   the message as received
DELETE /messages         forget everything (tests)
"""

import asyncio
import email
import email.policy
import os
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, HTTPException, Response

MESSAGES: dict[str, dict[str, Any]] = {}


class Keeper:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        raw_bytes = raw if isinstance(raw, bytes) else raw.encode()
        parsed: EmailMessage = email.message_from_bytes(raw_bytes, policy=email.policy.default)  # type: ignore[assignment]
        message_id = uuid.uuid4().hex
        MESSAGES[message_id] = {
            "id": message_id,
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": str(parsed.get("subject", "")),
            "received_at": datetime.now(UTC).isoformat(),
            "_raw": raw_bytes,
            "_parsed": parsed,
        }
        return "250 OK"


def summary(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


def details(message: dict[str, Any]) -> dict[str, Any]:
    parsed: EmailMessage = message["_parsed"]
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    attachments = [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in parsed.iter_attachments()
    ]
    return {
        **summary(message),
        "text": text.get_content() if text else None,
        "html": html.get_content() if html else None,
        "attachments": attachments,
    }


app = FastAPI(title="SMTP sink (local stack)")


@app.get("/messages")
async def list_messages() -> list[dict[str, Any]]:
    return [summary(m) for m in MESSAGES.values()]


@app.delete("/messages", status_code=204)
async def clear() -> None:
    MESSAGES.clear()


@app.get("/messages/{message_id}")
async def one(message_id: str) -> dict[str, Any]:
    if message_id not in MESSAGES:
        raise HTTPException(404)
    return details(MESSAGES[message_id])


@app.get("/messages/{message_id}/raw")
async def raw(message_id: str) -> Response:
    if message_id not in MESSAGES:
        raise HTTPException(404)
    return Response(MESSAGES[message_id]["_raw"], media_type="message/rfc822")


async def main() -> None:
    host = os.environ.get("SMTP_SINK_HOST", "127.0.0.1")
    smtp_port = int(os.environ.get("SMTP_SINK_SMTP_PORT", "1025"))
    http_port = int(os.environ.get("SMTP_SINK_HTTP_PORT", "8025"))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Keeper(), enable_SMTPUTF8=True, data_size_limit=10 * 2**20), host, smtp_port
    )
    config = uvicorn.Config(app, host=host, port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
