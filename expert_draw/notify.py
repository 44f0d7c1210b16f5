"""Telling experts they were drawn: one channel interface, several backends.

The message carries the time, the place and a reply link with the invitation's unique code;
never the project's suppliers. Backends: `log` (development), `sms` and `voice` (an HTTP
gateway that takes JSON), `email` (SMTP). EXPERT_DRAW_CHANNELS lists the ones to use.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import ClassVar, Protocol

log = logging.getLogger("biaoyun.expert_draw.notify")


@dataclass
class Message:
    phone: str
    email: str | None
    subject: str
    text: str


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


class LogChannel:
    name = "log"
    sent: ClassVar[list[Message]] = []  # kept for tests and the development console

    def send(self, message: Message) -> None:
        LogChannel.sent.append(message)
        log.info("notify %s: %s", message.phone, message.text)


class HttpGatewayChannel:
    """SMS or voice call through a gateway that accepts {"to", "text"} JSON with a bearer token."""

    def __init__(self, name: str, url: str, token: str, timeout: float = 10.0) -> None:
        self.name, self.url, self.token, self.timeout = name, url, token, timeout

    def send(self, message: Message) -> None:
        body = json.dumps({"to": message.phone, "text": message.text}, ensure_ascii=False).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            if resp.status >= 300:
                raise OSError(f"{self.name} gateway answered {resp.status}")


class SmtpChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, user: str | None = None, password: str | None = None):
        self.host, self.port, self.sender, self.user, self.password = host, port, sender, user, password

    def send(self, message: Message) -> None:
        if not message.email:
            return
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.email, message.subject
        mail.set_content(message.text)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.user:
                smtp.starttls()
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)


def channels(config) -> list[Channel]:
    """The channels configured for this install (log only unless configured)."""
    found: list[Channel] = []
    for name in str(config.get("EXPERT_DRAW_CHANNELS", "log")).split(","):
        name = name.strip()
        if name == "log":
            found.append(LogChannel())
        elif name in ("sms", "voice") and config.get(f"EXPERT_DRAW_{name.upper()}_URL"):
            found.append(
                HttpGatewayChannel(
                    name,
                    config[f"EXPERT_DRAW_{name.upper()}_URL"],
                    config.get(f"EXPERT_DRAW_{name.upper()}_TOKEN", ""),
                )
            )
        elif name == "email" and config.get("MAIL_SERVER"):
            found.append(
                SmtpChannel(
                    config["MAIL_SERVER"],
                    int(config.get("MAIL_PORT", 25)),
                    config.get("MAIL_SENDER", "noreply@biaoyun.local"),
                    config.get("MAIL_USERNAME"),
                    config.get("MAIL_PASSWORD"),
                )
            )
    return found


def send_everywhere(message: Message, config, what: str) -> int:
    """Send on every configured channel; a failing channel is logged and does not stop the others.
    Returns how many channels took it."""
    sent = 0
    for channel in channels(config):
        try:
            channel.send(message)
            sent += 1
        except OSError:
            log.exception("%s failed on %s", what, channel.name)
    return sent
