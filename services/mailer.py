"""E-mail over SMTP (aiosmtplib), configured by SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS.

Failures map onto the worker's retry rules: a temporary SMTP or network failure is retried, a permanent
refusal (5xx, no server configured, a malformed address) dead-letters the task.
"""
from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.worker import PermanentError, RetryableError

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class Mailer:
    def __init__(self, host: str, port: int = 25, *, user: str = "", password: str = "",
                 sender: str = "kkr-bot@localhost", starttls: bool = False, timeout: float = 30.0) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls, self.timeout = sender, starttls, timeout

    @classmethod
    def from_settings(cls, settings) -> Mailer:  # type: ignore[no-untyped-def]
        return cls(settings.smtp_host, settings.smtp_port, user=settings.smtp_user,
                   password=settings.smtp_password, sender=settings.smtp_from, starttls=settings.smtp_starttls)

    @property
    def configured(self) -> bool:
        return bool(self.host)

    async def send(self, to: str, subject: str, body: str, *, idempotency_key: str | None = None) -> str:
        """Send a plain-text mail; returns its Message-ID (derived from the key, so a resend is recognisable)."""
        if not self.configured:
            raise PermanentError("e-mail is not configured (SMTP_HOST)")
        if not isinstance(to, str) or not EMAIL.match(to.strip()):
            raise PermanentError("the recipient's e-mail address is not valid")
        domain = self.sender.rsplit("@", 1)[-1] or "localhost"
        token = hashlib.sha256((idempotency_key or "").encode()).hexdigest()[:32] if idempotency_key else None
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to.strip()
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{token or hashlib.sha256(body.encode()).hexdigest()[:32]}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, username=self.user or None,
                                  password=self.password or None, start_tls=self.starttls,
                                  timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            code = getattr(exc.recipients[0], "code", 0) if exc.recipients else 0
            if 400 <= code < 500:
                raise RetryableError(f"SMTP recipient refused temporarily ({code})") from exc
            raise PermanentError(f"SMTP recipient refused ({code or '?'})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise RetryableError(f"SMTP {exc.code}") from exc
            raise PermanentError(f"SMTP {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetryableError(f"SMTP unavailable ({type(exc).__name__})") from exc
        return message["Message-ID"]
