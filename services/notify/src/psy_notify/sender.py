"""The e-mail sender worker: claims due e-mails, sends them over one reused SMTP connection per
batch, and records each outcome in its own small transaction right after the server's reply.

SMTP has no idempotency: if the process dies after the server accepted an e-mail and before the
row is marked sent, the e-mail is sent again when its lease ends. That window is one e-mail wide,
and the Message-ID is the same both times, so a duplicate is recognisable. A graceful stop
(SIGTERM → task cancelled) finishes the e-mail in flight and hands the rest of the batch back.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
from psy_platform.db import Database

from psy_notify import mail_queue
from psy_notify.config import NotifySettings
from psy_notify.domain import is_permanent_smtp_code, retry_delay
from psy_notify.mail_queue import QueuedEmail

log = logging.getLogger(__name__)


def build_message(mail: QueuedEmail, mail_from: str) -> Message:
    """MIME: text + HTML alternatives, and the .ics as an attachment.

    Built with the compat32 classes on purpose: the modern policy folds a long Cyrillic subject
    into encoded-words with the spaces between them, which readers drop
    («консультациюподтверждена»); email.header.Header keeps every space inside an encoded-word.
    """
    message = MIMEMultipart("mixed")
    name, address = parseaddr(mail_from)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to_address
    message["Subject"] = Header(mail.subject, "utf-8")  # type: ignore[assignment]
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    versions = MIMEMultipart("alternative")
    versions.attach(MIMEText(mail.text_body, "plain", "utf-8"))
    versions.attach(MIMEText(mail.html_body, "html", "utf-8"))
    message.attach(versions)
    if mail.ics:
        method = mail.ics_method or "REQUEST"
        invitation = MIMEText(mail.ics.decode(), "calendar", "utf-8")
        invitation.set_param("method", method)
        filename = "cancel.ics" if method == "CANCEL" else "invite.ics"
        invitation.add_header("Content-Disposition", "attachment", filename=filename)
        message.attach(invitation)
    return message


class EmailSender:
    def __init__(self, db: Database, settings: NotifySettings) -> None:
        self._db = db
        self._settings = settings
        self._wake = asyncio.Event()
        self._unreachable: BaseException | None = None
        self.sent = 0
        self.failed = 0

    def wake(self) -> None:
        """New e-mails were committed in this process: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                handled = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("email sender: batch failed (%s); retrying", type(exc).__name__)
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.sender_poll_seconds)
                self._wake.clear()

    async def deliver_due(self) -> int:
        """One batch; returns how many e-mails were claimed."""
        settings = self._settings
        async with self._db.transaction() as session:
            batch = await mail_queue.claim(
                session,
                settings.sender_batch_size,
                timedelta(seconds=settings.sender_lease_seconds),
            )
        if not batch:
            return 0
        connection: list[aiosmtplib.SMTP] = []
        self._unreachable = None
        try:
            for position, mail in enumerate(batch):
                in_flight = asyncio.ensure_future(self._deliver_one(mail, connection))
                try:
                    await asyncio.shield(in_flight)
                except asyncio.CancelledError:
                    with contextlib.suppress(Exception):
                        await in_flight
                    await self._release(batch[position + 1 :])
                    raise
        finally:
            await self._close(connection)
        return len(batch)

    async def _deliver_one(self, mail: QueuedEmail, connection: list[aiosmtplib.SMTP]) -> None:
        try:
            smtp = await self._connected(connection)
            await smtp.send_message(build_message(mail, self._settings.mail_from))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self._close(connection)  # the next e-mail gets a fresh connection
            await self._record_failure(mail, exc)
            return
        async with self._db.transaction() as session:
            await mail_queue.mark_sent(session, mail)
        self.sent += 1

    async def _record_failure(self, mail: QueuedEmail, exc: BaseException) -> None:
        settings = self._settings
        code = getattr(exc, "code", None)
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
            code = exc.recipients[0].code
        error = f"{type(exc).__name__}: {code or ''} {getattr(exc, 'message', '') or exc}"
        attempts = mail.attempts + 1
        async with self._db.transaction() as session:
            if is_permanent_smtp_code(code) or attempts >= settings.sender_max_attempts:
                await mail_queue.mark_dead(session, mail, error)
                self.failed += 1
                log.error(
                    "email %s to recipient %s given up after %d attempts: %s",
                    mail.id,
                    mail.recipient_id,
                    attempts,
                    type(exc).__name__,
                )
            else:
                delay = retry_delay(
                    attempts, settings.sender_backoff_seconds, settings.sender_backoff_max_seconds
                )
                await mail_queue.mark_retry(session, mail, error, delay)
                log.warning(
                    "email %s: attempt %d failed (%s); retry in %.1fs",
                    mail.id,
                    attempts,
                    type(exc).__name__,
                    delay,
                )

    async def _connected(self, connection: list[aiosmtplib.SMTP]) -> aiosmtplib.SMTP:
        if connection and connection[0].is_connected:
            return connection[0]
        await self._close(connection)
        if self._unreachable is not None:
            # The server refused to connect moments ago in this batch: don't hammer it.
            raise self._unreachable
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_use_tls,
            start_tls=s.smtp_start_tls,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=s.smtp_timeout_seconds,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self._unreachable = exc
            raise
        connection.append(smtp)
        return smtp

    async def _close(self, connection: list[aiosmtplib.SMTP]) -> None:
        while connection:
            smtp = connection.pop()
            with contextlib.suppress(Exception):
                if smtp.is_connected:
                    await smtp.quit()
            with contextlib.suppress(Exception):
                smtp.close()

    async def _release(self, rest: list[QueuedEmail]) -> None:
        with contextlib.suppress(Exception):
            async with self._db.transaction() as session:
                await mail_queue.release(session, [m.id for m in rest])
