"""Composition root of the notify service."""

from pathlib import Path

from fastapi import FastAPI
from psy_contracts import topics
from psy_contracts.topics import dead_letter
from psy_platform.runtime import ServiceRuntime
from psy_platform.service import create_app as assemble

from psy_notify.api import router
from psy_notify.config import NotifySettings
from psy_notify.consumers import Handlers
from psy_notify.notifications import Notifier
from psy_notify.sender import EmailSender
from psy_notify.store import outbox, processed

GROUP = "notify"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: NotifySettings) -> FastAPI:
    runtime = ServiceRuntime("notify", settings, outbox, processed)
    sender = EmailSender(runtime.db, settings)
    handlers = Handlers(Notifier(settings, runtime.redis, sender.wake))
    assert runtime.consumers is not None
    subscriptions = {
        topics.IDENTITY: handlers.on_identity,
        topics.BOOKING: handlers.on_booking,
        topics.SESSION_LINKS: handlers.on_link,
        topics.SESSIONS: handlers.on_session,
    }
    for topic, handler in subscriptions.items():
        runtime.consumers.subscribe(topic, GROUP, handler)
        runtime.topics += [topic, dead_letter(topic, GROUP)]
    runtime.topics.append(topics.NOTIFY)
    runtime.workers.append(sender.run)
    app = assemble(runtime, router, title="notify — e-mail и «Сообщения»")
    app.state.inbox_page_size = settings.inbox_page_size
    app.state.sender = sender
    app.state.service_runtime = runtime  # for __main__ (app.state.runtime is set at start)
    return app
