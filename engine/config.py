"""Settings from the environment (and a `.env` file if present); a bad one is one clear line."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv

TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """One setting is missing or wrong; the message names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    database_path: Path
    telegram_api_url: str | None
    webhook_url: str | None
    webhook_secret: str
    webhook_host: str
    webhook_port: int
    log_level: str
    app: str
    playground: str = "playground"  # the package `run` starts when there is no BOT_TOKEN
    playground_host: str = "127.0.0.1"
    playground_port: int = 8088

    @property
    def webhook_path(self) -> str:
        return urlparse(self.webhook_url).path or "/" if self.webhook_url else "/"


def _http_url(name: str, value: str | None) -> str | None:
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be a full http(s) URL such as https://example.com/path, got {value!r}")
    return value


def load_settings(env: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    if env is None:
        if dotenv is not None and dotenv.is_file():
            load_dotenv(dotenv, override=False)
        env = dict(os.environ)
    token = env.get("BOT_TOKEN") or None
    if token is not None and not TOKEN.match(token):
        raise ConfigError("BOT_TOKEN does not look like a token from @BotFather (digits, a colon, then letters)")
    port_text = env.get("WEBHOOK_PORT", "8080")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"WEBHOOK_PORT must be a port number from 1 to 65535, got {port_text!r}")
    secret = env.get("WEBHOOK_SECRET") or secrets.token_urlsafe(32)
    if not SECRET.match(secret):
        raise ConfigError("WEBHOOK_SECRET may hold only letters, digits, _ and -, at most 256 of them")
    playground_port = env.get("PLAYGROUND_PORT", "8088")
    if not playground_port.isdigit() or not 0 <= int(playground_port) < 65536:
        raise ConfigError(f"PLAYGROUND_PORT must be a port number (0: any free one), got {playground_port!r}")
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return Settings(
        bot_token=token,
        database_path=Path(env.get("DATABASE_PATH") or "data/studio.sqlite3"),
        telegram_api_url=_http_url("TELEGRAM_API_URL", env.get("TELEGRAM_API_URL")),
        webhook_url=_http_url("WEBHOOK_URL", env.get("WEBHOOK_URL")),
        webhook_secret=secret,
        webhook_host=env.get("WEBHOOK_HOST") or "127.0.0.1",
        webhook_port=int(port_text),
        log_level=level,
        app=env.get("STUDIO_APP") or "flows",
        playground=env.get("PLAYGROUND_APP") or "playground",
        playground_port=int(playground_port),
    )
