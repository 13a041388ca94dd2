"""Words of a message: Jinja2 templates (Russian) → subject, plain text, HTML, inbox body.

Each kind's template gives the subject and a plain-text body; one HTML layout (inline CSS, no
external assets, a single column that reads well on a phone) wraps every kind, so the two
versions of an e-mail never say different things.
"""

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

FOOTER = (
    "Это автоматическое сообщение сервиса «Цифровой психолог». Вопросы по записи: ваш психолог, "
    "администратор регионального доступа или техническая поддержка help-psy@edu.gov.ru."
)

_env = Environment(
    loader=PackageLoader("psy_notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str  # the inbox text: what happened, without greeting and footer
    text: str  # the e-mail's plain-text part
    html: str


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    renderer = template.blocks.get(name)
    if renderer is None:
        return ""
    return "".join(renderer(template.new_context(context))).strip()


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def render(kind: str, context: dict[str, Any]) -> Rendered:
    template = _env.get_template(f"{kind}.j2")
    subject = " ".join(_block(template, "subject", context).split())
    body = _tidy(_block(template, "body", context))
    name = context.get("name")
    page = {
        "subject": subject,
        "greeting": f"Здравствуйте, {name}!" if name else "Здравствуйте!",
        "body": body,
        "paragraphs": [p.splitlines() for p in body.split("\n\n") if p.strip()],
        "action_label": _block(template, "action_label", context),
        "action_url": _block(template, "action_url", context),
        "footer": FOOTER,
    }
    return Rendered(
        subject=subject,
        body=body,
        text=_tidy(_env.get_template("layout.txt.j2").render(page)) + "\n",
        html=_env.get_template("layout.html.j2").render(page),
    )
