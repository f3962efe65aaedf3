"""Email to the people filing: bilingual Jinja2 templates, a plain-text and an HTML part, SMTP
(`smtp://`, `smtp://...?starttls=true`, `smtps://`) from `IMWU_SMTP_URL`.

Messages carry the reference, the due date where there is one, and a link; never a name, a date
of birth or a passport number (the template context holds nothing else).
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp://host:25`, `smtp://user:pass@host:587?starttls=true`, `smtps://user:pass@host:465`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("IMWU_SMTP_URL must be smtp://host:port or smtps://user:pass@host:port")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def template_name(event: str) -> str:
    return event.replace(".", "_")


def render(event: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """The subject, the plain text and the HTML of `event` in `language` (en or fr)."""
    env = _environment()
    lang = language if language in ("en", "fr") else "en"
    text_template = env.get_template(f"{template_name(event)}.{lang}.txt")
    subject = "".join(text_template.blocks["subject"](text_template.new_context(context))).strip()
    text = text_template.render(context)
    html = env.get_template(f"{template_name(event)}.{lang}.html").render(
        {**context, "subject": subject, "lang": lang}
    )
    return subject, text, html


def build_message(
    *, sender: str, to: str, subject: str, text: str, html: str, language: str, message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after the parts: set_content drops Content-* headers
    return message


def send(config: SmtpConfig, message: EmailMessage, *, timeout: float) -> None:
    """Hand the message to the relay; any refusal or network error raises (the worker retries).
    Certificates are checked against the system's trust store (or `SSL_CERT_FILE`)."""
    tls = ssl.create_default_context()
    client: smtplib.SMTP
    if config.implicit_tls:
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=tls)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=timeout)
    with client:
        if config.starttls:
            client.starttls(context=tls)
        if config.username and config.password:
            client.login(config.username, config.password)
        client.send_message(message)
