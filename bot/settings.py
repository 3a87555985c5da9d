"""Settings, read once from the environment in main(); tests build Settings directly."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "kkr-bot.db"


def _split(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; names follow Bot Framework's conventions."""

    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"  # MultiTenant | SingleTenant | UserAssignedMSI
    app_tenant_id: str = ""
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 3978
    allow_unauthenticated_remote: bool = False
    allowed_tenants: frozenset[str] = field(default_factory=frozenset)
    knowledge_dir: Path = ROOT / "knowledge"
    documents_path: Path = ROOT.parent / "shared" / "documents" / "000_6eb6d353ed8cd2b8.txt"
    public_base_url: str = "http://127.0.0.1:3978"
    run_worker_in_process: bool = True
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "kkr-bot@localhost"
    smtp_starttls: bool = False
    report_key_file: str = ""
    report_master_keys: str = ""
    log_level: str = "INFO"
    lookup_cache_size: int = 1024  # pure knowledge lookups kept per process (services/memo.py); 0 = off
    log_format: str = "json"  # json | text
    instance_name: str = ""  # reported by /healthz, to tell instances apart behind a load balancer

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{DEFAULT_SQLITE}"

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        truthy = {"1", "true", "yes", "on"}
        port = int(e.get("PORT", "3978"))
        return cls(
            app_id=e.get("MicrosoftAppId", ""),
            app_password=e.get("MicrosoftAppPassword", ""),
            app_type=e.get("MicrosoftAppType", "MultiTenant") or "MultiTenant",
            app_tenant_id=e.get("MicrosoftAppTenantId", ""),
            database_url=e.get("DATABASE_URL", ""),
            host=e.get("HOST", "127.0.0.1"),
            port=port,
            allow_unauthenticated_remote=e.get("ALLOW_UNAUTHENTICATED_REMOTE", "").lower() in truthy,
            allowed_tenants=_split(e.get("ALLOWED_TENANTS")),
            public_base_url=e.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}"),
            run_worker_in_process=e.get("RUN_WORKER_IN_PROCESS", "1").lower() in truthy,
            smtp_host=e.get("SMTP_HOST", ""),
            smtp_port=int(e.get("SMTP_PORT", "25")),
            smtp_user=e.get("SMTP_USER", ""),
            smtp_password=e.get("SMTP_PASSWORD", ""),
            smtp_from=e.get("SMTP_FROM", "kkr-bot@localhost"),
            smtp_starttls=e.get("SMTP_STARTTLS", "").lower() in truthy,
            report_key_file=e.get("REPORT_KEY_FILE", ""),
            report_master_keys=e.get("REPORT_MASTER_KEYS", ""),
            log_level=e.get("LOG_LEVEL", "INFO"),
            lookup_cache_size=int(e.get("LOOKUP_CACHE_SIZE", "1024")),
            log_format=e.get("LOG_FORMAT", "json"),
            instance_name=e.get("INSTANCE_NAME", ""),
        )

    def check_listen_address(self) -> None:
        """Refuse to listen beyond loopback without authentication, unless explicitly allowed."""
        loopback = self.host in {"127.0.0.1", "localhost", "::1"} or self.host.startswith("127.")
        if not self.auth_enabled and not loopback and not self.allow_unauthenticated_remote:
            raise SystemExit(
                f"Refusing to listen on {self.host} without MicrosoftAppId: anyone could talk to the bot. "
                "Set MicrosoftAppId (and MicrosoftAppPassword), or ALLOW_UNAUTHENTICATED_REMOTE=1 to override."
            )
