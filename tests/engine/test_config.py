"""Settings: a missing or bad one is one clear line, not a traceback."""

import pytest

from engine.cli import main
from engine.config import ConfigError, load_settings

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"


def test_defaults() -> None:
    settings = load_settings({"BOT_TOKEN": TOKEN})
    assert str(settings.database_path) == "data/studio.sqlite3"
    assert settings.webhook_url is None and settings.log_level == "INFO" and settings.app == "flows"
    assert len(settings.webhook_secret) >= 32  # generated when not configured


def test_a_custom_bot_api_server_and_webhook() -> None:
    settings = load_settings(
        {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://127.0.0.1:8081",
            "WEBHOOK_URL": "https://bot.example.com/tg",
            "WEBHOOK_SECRET": "s3cret_-",
            "WEBHOOK_PORT": "9000",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert (settings.webhook_path, settings.webhook_port, settings.log_level) == ("/tg", 9000, "DEBUG")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN does not look like a token from @BotFather"),
        ({"WEBHOOK_PORT": "eighty"}, "WEBHOOK_PORT must be a port number from 1 to 65535, got 'eighty'"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT must be a port number"),
        ({"TELEGRAM_API_URL": "localhost:8081"}, "TELEGRAM_API_URL must be a full http(s) URL"),
        ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET may hold only letters, digits, _ and -"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)


def test_run_with_a_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_PORT", "abc")
    assert main(["run"]) == 2
    assert (
        capsys.readouterr().err.strip() == "studio-bot: WEBHOOK_PORT must be a port number from 1 to 65535, got 'abc'"
    )
