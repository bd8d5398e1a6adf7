"""Settings: a TOML file, then environment variables on top.

``load_settings`` reads the file (``--config FILE`` or ``PARTNERBOT_CONFIG``), applies the
``PARTNERBOT_*`` environment variables, checks every value and returns a frozen ``Settings``.
Anything wrong raises ``ConfigError`` whose message is one line naming the setting and what to
do about it; the CLI prints that line and exits with status 2.

A missing Telegram token is not an error here: ``partnerbot chat`` needs none. The commands
that talk to Telegram call ``require_token``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODES = ("polling", "webhook")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# How long an invite to the partner works, in days (flows.twosided has the same default).
DEFAULT_INVITE_DAYS = 14
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# Seconds before the first retry when the Bot API cannot be reached at start; doubles per
# attempt up to MAX_RETRY_DELAY.
DEFAULT_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 60.0
# storage turns plain sqlite:// and postgresql:// URLs into these async drivers.
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg", "sqlite", "postgresql", "postgres")

# Telegram's rule for setWebhook's secret_token, at least 16 long: shorter secrets are guessable
# and could not be redacted from logs without garbling them (see bot.logs).
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{16,256}")
# What @BotFather hands out: the bot's numeric id, a colon, then (35) letters, digits, _ and -.
_TOKEN_RE = re.compile(r"[0-9]+:[A-Za-z0-9_-]{20,}")
_PATH_RE = re.compile(r"[A-Za-z0-9._~/-]*")

ENV_CONFIG = "PARTNERBOT_CONFIG"

# setting name -> environment variable that overrides it
ENV_VARS: dict[str, str] = {
    "telegram.token": "PARTNERBOT_TOKEN",
    "telegram.api_base_url": "PARTNERBOT_API_BASE_URL",
    "telegram.mode": "PARTNERBOT_MODE",
    "telegram.webhook.listen": "PARTNERBOT_WEBHOOK_LISTEN",
    "telegram.webhook.port": "PARTNERBOT_WEBHOOK_PORT",
    "telegram.webhook.url": "PARTNERBOT_WEBHOOK_URL",
    "telegram.webhook.secret_token": "PARTNERBOT_WEBHOOK_SECRET",
    "telegram.webhook.path": "PARTNERBOT_WEBHOOK_PATH",
    "telegram.webhook.max_connections": "PARTNERBOT_WEBHOOK_MAX_CONNECTIONS",
    "telegram.webhook.set_on_start": "PARTNERBOT_WEBHOOK_SET_ON_START",
    "database.url": "PARTNERBOT_DATABASE_URL",
    "bot.language": "PARTNERBOT_LANGUAGE",
    "bot.log_level": "PARTNERBOT_LOG_LEVEL",
    "bot.invite_days": "PARTNERBOT_INVITE_DAYS",
    "telegram.retry_delay": "PARTNERBOT_RETRY_DELAY",
    # running in production (bot.ops, see _ops below)
    "bot.log_format": "PARTNERBOT_LOG_FORMAT",
    "bot.shutdown_timeout": "PARTNERBOT_SHUTDOWN_TIMEOUT",
    "bot.health_listen": "PARTNERBOT_HEALTH_LISTEN",
    "bot.health_port": "PARTNERBOT_HEALTH_PORT",
}

# The keys each TOML table may hold (anything else is a typo and is reported).
_KNOWN: dict[str, tuple[str, ...]] = {
    "telegram": ("token", "api_base_url", "mode", "retry_delay", "webhook"),
    "telegram.webhook": (
        "listen",
        "port",
        "url",
        "secret_token",
        "path",
        "max_connections",
        "set_on_start",
    ),
    "database": ("url",),
    "bot": (
        "language",
        "log_level",
        "log_format",
        "shutdown_timeout",
        "health_listen",
        "health_port",
        "invite_days",
    ),
}


class ConfigError(Exception):
    """A missing or bad setting. ``str(error)`` is one line meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def _mask(secret: str | None) -> str:
    return "None" if secret is None else "'***'" if secret else "''"


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    return re.sub(r"^([A-Za-z0-9+.-]+://[^/:@]*:)[^/@]*@", r"\1***@", url)


@dataclass(frozen=True, repr=False)
class WebhookSettings:
    listen: str = "127.0.0.1"
    port: int = 8443
    url: str = ""
    secret_token: str = ""
    path: str = "telegram"
    max_connections: int = 40  # setWebhook's max_connections (Telegram allows 1-100)
    set_on_start: bool = True  # call setWebhook at start (a fleet sets it once instead)

    def __repr__(self) -> str:
        return (
            f"WebhookSettings(listen={self.listen!r}, port={self.port!r}, url={self.url!r}, "
            f"secret_token={_mask(self.secret_token)}, path={self.path!r}, "
            f"max_connections={self.max_connections!r}, set_on_start={self.set_on_start!r})"
        )


LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class OpsSettings:
    """Running in production: log format, shutdown, health port (``bot.*`` settings)."""

    log_format: str = "text"  # "json": one JSON object per line, for log collectors
    shutdown_timeout: int = 10  # seconds to finish updates in flight after SIGTERM
    health_listen: str = "127.0.0.1"
    health_port: int = 0  # /healthz, /readyz and /metrics on their own port; 0: none


@dataclass(frozen=True, repr=False)
class Settings:
    token: str | None
    database_url: str
    api_base_url: str = DEFAULT_API_BASE_URL
    mode: str = "polling"
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    language: str = "en"
    log_level: str = "INFO"
    invite_days: int = DEFAULT_INVITE_DAYS
    retry_delay: float = DEFAULT_RETRY_DELAY
    ops: OpsSettings = field(default_factory=OpsSettings)

    def __repr__(self) -> str:
        return (
            f"Settings(token={_mask(self.token)}, database_url={mask_url(self.database_url)!r}, "
            f"api_base_url={self.api_base_url!r}, mode={self.mode!r}, webhook={self.webhook!r}, "
            f"language={self.language!r}, log_level={self.log_level!r}, "
            f"retry_delay={self.retry_delay!r}, ops={self.ops!r}, "
            f"invite_days={self.invite_days!r})"
        )

    __str__ = __repr__


def require_token(settings: Settings) -> str:
    """The bot token, or ConfigError when none is set."""
    if not settings.token:
        raise ConfigError(
            "No Telegram bot token: set PARTNERBOT_TOKEN or telegram.token in the config file "
            "(get one from @BotFather)"
        )
    return settings.token


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_DATA_HOME/partnerbot``, or ``~/.local/share/partnerbot``."""
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore relative paths
        return Path(xdg) / "partnerbot"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "partnerbot"


def default_database_url(env: Mapping[str, str] = os.environ) -> str:
    from storage.db import default_sqlite_url

    return default_sqlite_url(default_data_dir(env) / "partnerbot.db")


def sqlite_url(path: Path | str) -> str:
    """The database URL for a SQLite file given on the command line (``--db PATH``)."""
    from storage.db import default_sqlite_url

    return default_sqlite_url(Path(path).expanduser().absolute())


# --- reading ---------------------------------------------------------------------------------


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path}: not found; give an existing file with --config or "
            f"{ENV_CONFIG} (config.example.toml shows every setting)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path}: is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends with "(at line N, column M)".
        raise ConfigError(f"config file {path}: invalid TOML: {exc}") from None
    _check_keys(data, path)
    return data


def _check_keys(data: dict[str, Any], path: Path) -> None:
    for section, value in data.items():
        if section not in ("telegram", "database", "bot"):
            raise ConfigError(
                f"config file {path}: unknown section [{section}]; the sections are "
                "[telegram], [telegram.webhook], [database] and [bot] (see config.example.toml)"
            )
        _check_table(section, value, path)
        if section == "telegram" and "webhook" in value:
            _check_table("telegram.webhook", value["webhook"], path)


def _check_table(name: str, value: Any, path: Path) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"config file {path}: {name} must be a table ([{name}])")
    for key in value:
        if key not in _KNOWN[name]:
            known = ", ".join(f"{name}.{k}" for k in _KNOWN[name] if k != "webhook")
            raise ConfigError(
                f"config file {path}: unknown setting {name}.{key}; [{name}] takes {known}"
            )


class _Source:
    """Looks a setting up in the environment, then the file; remembers where it came from."""

    def __init__(self, data: dict[str, Any], env: Mapping[str, str], path: Path | None):
        self.data = data
        self.env = env
        self.path = path

    def get(self, name: str) -> tuple[Any, str | None]:
        """(value, origin) where origin is the env var, "file", or None when unset."""
        var = ENV_VARS.get(name)
        if var and var in self.env:
            return self.env[var], var
        node: Any = self.data
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                return None, None
            node = node[part]
        return node, "file"

    def error(self, name: str, expected: str, value: Any, origin: str | None) -> ConfigError:
        var = ENV_VARS.get(name)
        where = f" from {origin}" if origin and origin != "file" else ""
        if origin == "file" and self.path is not None:
            where = f" in {self.path}"
        fix = f"set it in the config file or {var}" if var else "set it in the config file"
        return ConfigError(f"{name} must be {expected} (got {value!r}{where}); {fix}")

    def string(
        self,
        name: str,
        default: str,
        check: Callable[[str], bool] | None = None,
        expected: str = "a string",
        secret: bool = False,
    ) -> str:
        value, origin = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(name, "a string in quotes", "***" if secret else value, origin)
        value = value.strip()
        if check is not None and not check(value):
            shown = "***" if secret else mask_url(value) if name == "database.url" else value
            raise self.error(name, expected, shown, origin)
        return value


def load_settings(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Settings:
    """Read ``path`` (or the file named by ``PARTNERBOT_CONFIG``), apply the environment.

    With neither a path nor ``PARTNERBOT_CONFIG`` only the defaults and the environment
    count. Raises ConfigError, with one line naming the setting, for anything invalid.
    """
    if path is None and env.get(ENV_CONFIG):
        path = Path(env[ENV_CONFIG])
    if path is not None:
        path = Path(path).expanduser()
    data = _read_file(path) if path is not None else {}
    src = _Source(data, env, path)

    # [telegram]
    token = src.string(
        "telegram.token",
        "",
        check=lambda v: v == "" or _TOKEN_RE.fullmatch(v) is not None,
        expected="a bot token from @BotFather, like 123456789:AAE... (digits, a colon, "
        "then at least 20 letters, digits, _ and -)",
        secret=True,
    )
    api_base_url = src.string(
        "telegram.api_base_url",
        DEFAULT_API_BASE_URL,
        check=lambda v: re.fullmatch(r"https?://[^\s/]+(/\S*)?", v) is not None,
        expected="an http:// or https:// URL ending where the token goes, like "
        f"{DEFAULT_API_BASE_URL!r}",
    )
    mode = src.string(
        "telegram.mode",
        "polling",
        check=lambda v: v.lower() in MODES,
        expected="'polling' or 'webhook'",
    ).lower()

    # [telegram.webhook]
    listen = _listen(src, "telegram.webhook.listen")
    port = _port(src)
    url = src.string(
        "telegram.webhook.url",
        "",
        check=lambda v: v == "" or re.fullmatch(r"https?://[^\s/]+(/\S*)?", v) is not None,
        expected="the public https:// URL Telegram posts updates to",
    )
    secret_token = src.string(
        "telegram.webhook.secret_token",
        "",
        check=lambda v: v == "" or _SECRET_RE.fullmatch(v) is not None,
        expected="16-256 characters of A-Z a-z 0-9 _ - (a shorter secret is too easy to guess)",
        secret=True,
    )
    hook_path = src.string(
        "telegram.webhook.path",
        "telegram",
        check=lambda v: _PATH_RE.fullmatch(v) is not None,
        expected="a URL path of letters, digits and . _ ~ - /",
    ).strip("/")
    if mode == "webhook":
        if not url:
            raise ConfigError(
                "telegram.webhook.url is required in webhook mode: set the public https:// URL "
                "Telegram should post updates to in the config file or PARTNERBOT_WEBHOOK_URL "
                "(or use telegram.mode = 'polling')"
            )
        if not secret_token:
            raise ConfigError(
                "telegram.webhook.secret_token is required in webhook mode: set 16-256 "
                "characters of A-Z a-z 0-9 _ - in the config file or PARTNERBOT_WEBHOOK_SECRET"
            )

    # [database]
    database_url = src.string(
        "database.url",
        "",
        check=lambda v: v == "" or v.split("://", 1)[0] in DATABASE_SCHEMES,
        expected="a URL starting with sqlite+aiosqlite:/// or postgresql+asyncpg://",
    )
    if not database_url:
        database_url = default_database_url(env)
    else:
        _check_server_url(src, database_url)

    # [bot]
    language = src.string(
        "bot.language",
        "en",
        check=_language_ok,
        expected="one of the shipped languages: " + ", ".join(map(repr, _languages())),
    ).lower()
    log_level = src.string(
        "bot.log_level",
        "INFO",
        check=lambda v: v.upper() in LOG_LEVELS,
        expected="one of " + ", ".join(LOG_LEVELS),
    ).upper()

    retry_delay = _number(src, "telegram.retry_delay", DEFAULT_RETRY_DELAY, MAX_RETRY_DELAY)

    return Settings(
        token=token or None,
        database_url=database_url,
        api_base_url=api_base_url,
        mode=mode,
        webhook=WebhookSettings(
            listen=listen,
            port=port,
            url=url,
            secret_token=secret_token,
            path=hook_path,
            max_connections=_integer(src, "telegram.webhook.max_connections", 40, 1, 100),
            set_on_start=_boolean(src, "telegram.webhook.set_on_start", True),
        ),
        language=language,
        log_level=log_level,
        invite_days=_integer(src, "bot.invite_days", DEFAULT_INVITE_DAYS, 1, 365),
        retry_delay=retry_delay,
        ops=_ops(src),
    )


def _check_server_url(src: _Source, url: str) -> None:
    """A PostgreSQL URL must name its host and database: without them libpq's defaults would
    pick some database, and the tables would silently land there."""
    from storage.db import parse_url  # the standard library's parser: no SQLAlchemy at start

    try:
        parsed = parse_url(url)
    except ValueError:
        raise src.error(
            "database.url",
            "a valid URL like postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME",
            mask_url(url),
            src.get("database.url")[1],
        ) from None
    # The host may be a socket folder: ?host=/run/postgresql.
    if parsed.backend == "postgresql" and not (parsed.host and parsed.database):
        raise src.error(
            "database.url",
            "a PostgreSQL URL naming the host and the database, like "
            "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME",
            mask_url(url),
            src.get("database.url")[1],
        )


def _number(src: _Source, name: str, default: float, most: float) -> float:
    value, origin = src.get(name)
    if value is None:
        return default
    expected = f"a number of seconds above 0 and at most {most:g}"
    try:
        number = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not 0 < number <= most:
        raise src.error(name, expected, value, origin)
    return number


def _port(src: _Source) -> int:
    return _integer(src, "telegram.webhook.port", 8443, 1, 65535)


def _ops(src: _Source) -> OpsSettings:
    """The ``bot.*`` settings for running in production."""
    log_format = src.string(
        "bot.log_format",
        "text",
        check=lambda v: v.lower() in LOG_FORMATS,
        expected="'text' or 'json'",
    ).lower()
    return OpsSettings(
        log_format=log_format,
        shutdown_timeout=_integer(src, "bot.shutdown_timeout", 10, 0, 3600),
        health_listen=_listen(src, "bot.health_listen"),
        health_port=_integer(src, "bot.health_port", 0, 0, 65535),
    )


def _listen(src: _Source, name: str) -> str:
    return src.string(
        name,
        "127.0.0.1",
        check=lambda v: v != "" and " " not in v,
        expected="an address to listen on, like '127.0.0.1' or '0.0.0.0'",
    )


def _integer(src: _Source, name: str, default: int, low: int, high: int) -> int:
    value, origin = src.get(name)
    if value is None:
        return default
    expected = f"a whole number from {low} to {high}"
    if isinstance(value, bool):
        raise src.error(name, expected, value, origin)
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise src.error(name, expected, value, origin)
        number = int(value.strip())
    elif isinstance(value, int):
        number = value
    else:
        raise src.error(name, expected, value, origin)
    if not low <= number <= high:
        raise src.error(name, expected, value, origin)
    return number


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _boolean(src: _Source, name: str, default: bool) -> bool:
    value, origin = src.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise src.error(name, "true or false", value, origin)


def _languages() -> list[str]:
    """The languages the domain ships catalogs for."""
    from bot.locales import shipped

    return shipped()


def _language_ok(value: str) -> bool:
    return value.lower() in _languages()
