"""Settings: file, environment on top, and one clear line for each bad setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import (
    ConfigError,
    OpsSettings,
    Settings,
    WebhookSettings,
    load_settings,
    require_token,
)

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
PG_URL = "postgresql+asyncpg://bot:s3cr3t-pw@db.example.org:5432/partnerbot"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with no PARTNERBOT_* variables and a private home."""
    return {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partnerbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file_and_no_token(env, tmp_path):
    settings = load_settings(None, env)
    assert settings.token is None
    assert settings.mode == "polling"
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.webhook == WebhookSettings()
    assert settings.language == "en"
    assert settings.log_level == "INFO"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith(str(tmp_path / "data" / "partnerbot" / "partnerbot.db"))


def test_default_database_falls_back_to_local_share(tmp_path):
    settings = load_settings(None, {"HOME": str(tmp_path)})
    expected = tmp_path / ".local" / "share" / "partnerbot" / "partnerbot.db"
    assert settings.database_url.endswith(str(expected))


def test_file_is_read(env, tmp_path):
    path = write(
        tmp_path,
        f"""
[telegram]
token = "{TOKEN}"
mode = "webhook"
api_base_url = "http://localhost:8081/bot"
retry_delay = 0.5

[telegram.webhook]
listen = "0.0.0.0"
port = 8080
url = "https://bot.example.org/hook"
secret_token = "abc_DEF-123_ghi-456"
path = "/hook"

[database]
url = "{PG_URL}"

[bot]
language = "en"
log_level = "debug"
""",
    )
    settings = load_settings(path, env)
    assert settings == Settings(
        token=TOKEN,
        database_url=PG_URL,
        api_base_url="http://localhost:8081/bot",
        mode="webhook",
        webhook=WebhookSettings(
            listen="0.0.0.0",
            port=8080,
            url="https://bot.example.org/hook",
            secret_token="abc_DEF-123_ghi-456",
            path="hook",
        ),
        language="en",
        log_level="DEBUG",
        retry_delay=0.5,
    )


def test_environment_overrides_the_file(env, tmp_path):
    path = write(
        tmp_path,
        """
[telegram]
token = "1:from-file-from-file-from"
mode = "polling"
[telegram.webhook]
port = 8080
[database]
url = "sqlite+aiosqlite:////tmp/from-file.db"
[bot]
log_level = "ERROR"
""",
    )
    env.update(
        PARTNERBOT_TOKEN=TOKEN,
        PARTNERBOT_DATABASE_URL=PG_URL,
        PARTNERBOT_API_BASE_URL="http://127.0.0.1:8081/bot",
        PARTNERBOT_MODE="webhook",
        PARTNERBOT_WEBHOOK_LISTEN="0.0.0.0",
        PARTNERBOT_WEBHOOK_PORT="88",
        PARTNERBOT_WEBHOOK_URL="https://bot.example.org/telegram",
        PARTNERBOT_WEBHOOK_SECRET="s3cret_s3cret_s3cret",
        PARTNERBOT_LOG_LEVEL="warning",
    )
    settings = load_settings(path, env)
    assert settings.token == TOKEN
    assert settings.database_url == PG_URL
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.mode == "webhook"
    assert settings.webhook.listen == "0.0.0.0"
    assert settings.webhook.port == 88
    assert settings.webhook.url == "https://bot.example.org/telegram"
    assert settings.webhook.secret_token == "s3cret_s3cret_s3cret"
    assert settings.log_level == "WARNING"


def test_config_file_from_environment_and_flag_wins(env, tmp_path):
    named = write(tmp_path, '[bot]\nlog_level = "ERROR"\n')
    flag = tmp_path / "flag.toml"
    flag.write_text('[bot]\nlog_level = "DEBUG"\n', encoding="utf-8")
    env["PARTNERBOT_CONFIG"] = str(named)
    assert load_settings(None, env).log_level == "ERROR"
    assert load_settings(flag, env).log_level == "DEBUG"


def test_empty_token_means_none(env):
    env["PARTNERBOT_TOKEN"] = ""
    assert load_settings(None, env).token is None


BAD = [
    # (file text or None, environment, setting named, other words the line must contain)
    (None, {"PARTNERBOT_MODE": "pull"}, "telegram.mode", ["'pull'", "PARTNERBOT_MODE"]),
    ('[telegram]\nmode = "pull"\n', {}, "telegram.mode", ["polling", "webhook"]),
    (None, {"PARTNERBOT_WEBHOOK_PORT": "eighty"}, "telegram.webhook.port", ["1 to 65535"]),
    ("[telegram.webhook]\nport = 0\n", {}, "telegram.webhook.port", ["1 to 65535"]),
    ("[telegram.webhook]\nport = 70000\n", {}, "telegram.webhook.port", ["70000"]),
    ('[telegram.webhook]\nport = "8443x"\n', {}, "telegram.webhook.port", ["8443x"]),
    (
        None,
        {"PARTNERBOT_MODE": "webhook", "PARTNERBOT_WEBHOOK_SECRET": "abc_DEF-123_ghi-456"},
        "telegram.webhook.url",
        ["PARTNERBOT_WEBHOOK_URL"],
    ),
    (
        None,
        {"PARTNERBOT_MODE": "webhook", "PARTNERBOT_WEBHOOK_URL": "https://x.example/telegram"},
        "telegram.webhook.secret_token",
        ["PARTNERBOT_WEBHOOK_SECRET"],
    ),
    (
        None,
        {"PARTNERBOT_WEBHOOK_SECRET": "not allowed!"},
        "telegram.webhook.secret_token",
        ["A-Z a-z 0-9 _ -"],
    ),
    (
        None,
        {"PARTNERBOT_WEBHOOK_SECRET": "a" * 257},
        "telegram.webhook.secret_token",
        ["16-256"],
    ),
    # Too short to guess-proof, or to redact from logs without garbling them.
    (
        None,
        {"PARTNERBOT_WEBHOOK_SECRET": "x"},
        "telegram.webhook.secret_token",
        ["16-256", "PARTNERBOT_WEBHOOK_SECRET"],
    ),
    (None, {"PARTNERBOT_TOKEN": "1:abc"}, "telegram.token", ["@BotFather"]),
    # A PostgreSQL URL without host or database would write into libpq's default database.
    (None, {"PARTNERBOT_DATABASE_URL": "postgresql+asyncpg://"}, "database.url", ["HOST"]),
    (None, {"PARTNERBOT_DATABASE_URL": "postgresql://u@h"}, "database.url", ["DBNAME"]),
    (None, {"PARTNERBOT_DATABASE_URL": "postgresql:///db"}, "database.url", ["host"]),
    (None, {"PARTNERBOT_RETRY_DELAY": "0"}, "telegram.retry_delay", ["above 0"]),
    (None, {"PARTNERBOT_RETRY_DELAY": "61"}, "telegram.retry_delay", ["at most 60"]),
    ("[telegram]\nretry_delay = true\n", {}, "telegram.retry_delay", ["seconds"]),
    (None, {"PARTNERBOT_WEBHOOK_URL": "bot.example.org"}, "telegram.webhook.url", ["https://"]),
    (None, {"PARTNERBOT_API_BASE_URL": "api.telegram.org"}, "telegram.api_base_url", []),
    (None, {"PARTNERBOT_TOKEN": "paste the token here"}, "telegram.token", ["@BotFather"]),
    (None, {"PARTNERBOT_DATABASE_URL": "mysql://u:pw@h/db"}, "database.url", ["u:***@h"]),
    (None, {"PARTNERBOT_LOG_LEVEL": "LOUD"}, "bot.log_level", ["DEBUG"]),
    ('[bot]\nlanguage = "xx"\n', {}, "bot.language", ["'en'"]),
    ('[telegram]\ntokne = "1:abc"\n', {}, "telegram.tokne", ["unknown setting"]),
    ('[telegarm]\ntoken = "1:abc"\n', {}, "[telegarm]", ["unknown section"]),
    ("[telegram]\nmode = 1\n", {}, "telegram.mode", ["string"]),
    (None, {"PARTNERBOT_LOG_FORMAT": "xml"}, "bot.log_format", ["'json'"]),
    (None, {"PARTNERBOT_SHUTDOWN_TIMEOUT": "-1"}, "bot.shutdown_timeout", ["0 to 3600"]),
    ("[bot]\nhealth_port = 70000\n", {}, "bot.health_port", ["0 to 65535"]),
    (
        None,
        {"PARTNERBOT_WEBHOOK_MAX_CONNECTIONS": "101"},
        "telegram.webhook.max_connections",
        ["1 to 100", "PARTNERBOT_WEBHOOK_MAX_CONNECTIONS"],
    ),
    (
        None,
        {"PARTNERBOT_WEBHOOK_SET_ON_START": "maybe"},
        "telegram.webhook.set_on_start",
        ["true or false"],
    ),
]


def test_production_settings_from_the_environment(env):
    env.update(
        PARTNERBOT_LOG_FORMAT="JSON",
        PARTNERBOT_SHUTDOWN_TIMEOUT="25",
        PARTNERBOT_HEALTH_LISTEN="0.0.0.0",
        PARTNERBOT_HEALTH_PORT="9464",
        PARTNERBOT_WEBHOOK_MAX_CONNECTIONS="80",
        PARTNERBOT_WEBHOOK_SET_ON_START="false",
    )
    settings = load_settings(None, env)
    assert settings.ops == OpsSettings("json", 25, "0.0.0.0", 9464)
    assert (settings.webhook.max_connections, settings.webhook.set_on_start) == (80, False)
    defaults = load_settings(None, {"HOME": env["HOME"]})
    assert defaults.ops == OpsSettings("text", 10, "127.0.0.1", 0)
    assert (defaults.webhook.max_connections, defaults.webhook.set_on_start) == (40, True)


@pytest.mark.parametrize(("text", "extra_env", "name", "words"), BAD)
def test_each_bad_setting_gives_one_line_naming_it(env, tmp_path, text, extra_env, name, words):
    path = write(tmp_path, text) if text is not None else None
    env.update(extra_env)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env)
    message = str(caught.value)
    assert "\n" not in message
    assert name in message
    for word in words:
        assert word in message
    if path is not None and "unknown" in message:
        assert str(path) in message


def test_secrets_are_not_echoed_in_errors(env):
    env["PARTNERBOT_TOKEN"] = "my secret token"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env)
    assert "my secret token" not in str(caught.value)
    env.pop("PARTNERBOT_TOKEN")
    env["PARTNERBOT_WEBHOOK_SECRET"] = "hush hush"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env)
    assert "hush hush" not in str(caught.value)


def test_invalid_toml_names_the_file_and_line(env, tmp_path):
    path = write(tmp_path, '[telegram]\nmode = "polling"\ntoken = \n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert "line 3" in message


def test_missing_config_file_is_named(env, tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match=r"nowhere\.toml: not found"):
        load_settings(missing, env)
    env["PARTNERBOT_CONFIG"] = str(missing)
    with pytest.raises(ConfigError, match="PARTNERBOT_CONFIG"):
        load_settings(None, env)


def test_repr_hides_the_token_and_other_secrets(env):
    env.update(
        PARTNERBOT_TOKEN=TOKEN,
        PARTNERBOT_WEBHOOK_SECRET="webhook-secret-value",
        PARTNERBOT_DATABASE_URL=PG_URL,
    )
    settings = load_settings(None, env)
    for shown in (repr(settings), str(settings), f"{settings}", repr(settings.webhook)):
        assert TOKEN not in shown
        assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in shown
        assert "webhook-secret-value" not in shown
        assert "s3cr3t-pw" not in shown
    assert "token='***'" in repr(settings)
    assert "db.example.org" in repr(settings)
    assert "token=None" in repr(load_settings(None, {"HOME": env["HOME"]}))


def test_require_token(env):
    with pytest.raises(ConfigError) as caught:
        require_token(load_settings(None, env))
    assert str(caught.value) == (
        "No Telegram bot token: set PARTNERBOT_TOKEN or telegram.token in the config file "
        "(get one from @BotFather)"
    )
    env["PARTNERBOT_TOKEN"] = TOKEN
    assert require_token(load_settings(None, env)) == TOKEN


def test_example_config_loads_as_is_and_with_every_setting_uncommented(env, tmp_path):
    example = REPO / "config.example.toml"
    assert load_settings(example, env) == load_settings(None, env)

    # Uncomment each documented "# key = value" line: every name in the example is a real
    # setting, and every value shown is accepted.
    text = example.read_text(encoding="utf-8")
    uncommented = re.sub(r"(?m)^# ([a-z_]+ = .*)$", r"\1", text)
    assert uncommented.count("\n") == text.count("\n")
    settings = load_settings(write(tmp_path, uncommented), env)
    assert settings.token is not None
    assert settings.mode == "polling"
    assert settings.webhook == WebhookSettings()
    documented = set(re.findall(r"(?m)^# ([a-z_]+) = ", text))
    assert documented == {
        "token",
        "api_base_url",
        "mode",
        "retry_delay",
        "listen",
        "port",
        "url",
        "secret_token",
        "path",
        "language",
        "log_level",
        "max_connections",
        "set_on_start",
        "log_format",
        "shutdown_timeout",
        "health_listen",
        "health_port",
        "invite_days",
    }


def test_invite_days_from_the_environment_and_checked(env):
    assert load_settings(None, env).invite_days == 14
    env["PARTNERBOT_INVITE_DAYS"] = "3"
    assert load_settings(None, env).invite_days == 3
    env["PARTNERBOT_INVITE_DAYS"] = "0"
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env)
    assert "bot.invite_days" in str(caught.value) and "1 to 365" in str(caught.value)
