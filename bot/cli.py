"""``partnerbot``: the command line. It reads the settings and starts what was asked for."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings, mask_url, require_token, sqlite_url
from bot.locales import install_catalogs, shipped

DESCRIPTION = """\
Partnerbot helps an association plan a partnership with another organisation. Members answer
planning questions one at a time; the bot recommends one of six partnership forms (event,
advocacy, exchange of information, network, corporate, strategic) and splits the tasks between
the two parties. Every answer is stored, so a conversation can be continued later."""

EPILOG = """\
examples:
  partnerbot chat              plan in this terminal (no Telegram token needed)
  partnerbot invite --association Club
                               an invite code for the partner's own half of the plan
  partnerbot run               run the Telegram bot (needs PARTNERBOT_TOKEN)
  partnerbot db upgrade        create or update the database tables
  partnerbot webhook set       register the webhook once for several instances
  partnerbot export --format pdf -o plan.pdf
                               the finished plan as an agreement draft

Settings come from the config file (--config FILE, or the file named by PARTNERBOT_CONFIG),
then from environment variables, which win: PARTNERBOT_TOKEN, PARTNERBOT_DATABASE_URL,
PARTNERBOT_MODE, ... config.example.toml documents every setting. "partnerbot COMMAND --help"
tells more about each command."""

CHAT_DESCRIPTION = """\
Hold the planning conversation in this terminal with the same questions, answers and results
as on Telegram. Answer by typing the number or the label of an option (several as "1,3"), or
your own words for open questions. Commands: /back, /skip, /summary, /restart, /language,
/help, /quit.

The conversation is in English, Finnish, Ukrainian or Arabic: --language fi (or
PARTNERBOT_LANGUAGE=fi) switches the plan to Finnish; /language fi does the same mid-way.

Standard input may be a pipe, so a script can play a conversation:
  printf '1\\n2\\n' | partnerbot chat --db /tmp/p.db

Answers are stored at once. Run the same command again to continue where you stopped; at the
end of input (or /quit) the plan stays as it is."""

CHAT_EPILOG = """\
By default the database is the one in the settings (database.url); without one it is the
SQLite file $XDG_DATA_HOME/partnerbot/partnerbot.db (~/.local/share/partnerbot/partnerbot.db)."""

INVITE_DESCRIPTION = """\
Print an invite code for the association's plan, so that the partner answers its own half:
what it offers and needs, how close it sees fields and values, time and money. The code works
once, for bot.invite_days days (PARTNERBOT_INVITE_DAYS, default 14); a new invite ends the old
one, and --revoke ends it now. Only a hash of the code is stored. The partner answers with:
  partnerbot chat --association PARTNER --join CODE
Both sides then see one result, made from both halves, with any disagreements."""

RUN_DESCRIPTION = """\
Run the Telegram bot until stopped (Ctrl-C or SIGTERM). It needs a bot token: create a bot by
sending /newbot to @BotFather in Telegram and set the token in PARTNERBOT_TOKEN or in
telegram.token of the config file.

By default the bot polls Telegram for updates, which works behind any firewall. With
telegram.mode = "webhook" (PARTNERBOT_MODE=webhook) it listens on telegram.webhook.listen:port
for updates that Telegram posts to telegram.webhook.url, checked with
telegram.webhook.secret_token. PARTNERBOT_API_BASE_URL points the bot at a self-hosted Bot API
server.

A token Telegram rejects stops the bot with one line (exit status 2). When the Bot API cannot
be reached, the bot retries: after 1 s, then twice as long each time up to 60 s
(telegram.retry_delay, PARTNERBOT_RETRY_DELAY), one log line per attempt.

Several instances in webhook mode may share one PostgreSQL database behind a load balancer;
register the webhook once with "partnerbot webhook set" and start them with
telegram.webhook.set_on_start = false. Each serves GET /healthz, /readyz and /metrics (in
polling mode on bot.health_port, when set). On SIGTERM the bot finishes the updates in flight
(at most bot.shutdown_timeout seconds), closes the database and exits 0."""

EXPORT_DESCRIPTION = """\
Write the finished plan of an association as an agreement draft two associations can sign:
both parties and their contact people (set them in the chat with /setup), goals, what each
side gives and gets, the tasks with lead, person, due date and status, money, visibility, the
period and reviews, values, data protection, ending, and a signature block.
It is written in the plan's language (the JSON keys are the same in every language).

Formats: md (Markdown text), pdf (A4, in the plan's language) and json (the same facts as
data with language-neutral keys, following flows/schemas/agreement.schema.json).
Without --format the format follows the file name's ending (.pdf, .json), else md.
"-o -" (the default) writes to standard output; a PDF needs a file unless the output is piped:
  partnerbot export --association Club --format pdf -o plan.pdf
  partnerbot export --association Club --format json | jq .tasks

The plan must be finished (all questions answered and the result shown); otherwise the command
says so and exits with status 2, as it does when the file cannot be written."""

EXPORT_FORMATS = ("md", "pdf", "json")

DB_DESCRIPTION = """\
Manage the database schema with its migrations. The SQLite default migrates itself when the bot
or the console starts; a PostgreSQL database shared by several bot instances should be upgraded
once with "partnerbot db upgrade" before the bots start."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("partnerbot")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerbot",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="read settings from this TOML file (default: the file named by PARTNERBOT_CONFIG, "
        "if any); see config.example.toml",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}", help="show the version"
    )
    commands = parser.add_subparsers(
        dest="command", metavar="{chat,invite,run,db,export,webhook}", title="commands"
    )

    chat = commands.add_parser(
        "chat",
        help="plan a partnership in this terminal",
        description=CHAT_DESCRIPTION,
        epilog=CHAT_EPILOG,
        formatter_class=_Formatter,
    )
    chat.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help="keep the answers in this SQLite file (created when missing) instead of the "
        "configured database",
    )
    chat.add_argument(
        "--association",
        metavar="NAME",
        default="default",
        help="whose plan this is; each name has its own plans (default: %(default)s)",
    )
    chat.add_argument(
        "--language",
        metavar="LANG",
        choices=shipped(),
        help="talk in this language from now on: " + ", ".join(shipped()) + " (without it: "
        "PARTNERBOT_LANGUAGE if set, else the plan's own; a new plan takes bot.language)",
    )

    chat.add_argument(
        "--join",
        metavar="CODE",
        help="answer the partner's half of another association's plan, with the code that "
        "partnerbot invite printed (once; afterwards run chat without --join to go on)",
    )

    invite = commands.add_parser(
        "invite",
        help="invite the partner to answer its own half of a plan",
        description=INVITE_DESCRIPTION,
        epilog=CHAT_EPILOG,
        formatter_class=_Formatter,
    )
    invite.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help="use this SQLite file instead of the configured database",
    )
    invite.add_argument(
        "--association",
        metavar="NAME",
        default="default",
        help="whose plan the partner is invited to, as named in partnerbot chat "
        "(default: %(default)s)",
    )
    invite.add_argument(
        "--revoke", action="store_true", help="end the open invite instead of making a new one"
    )
    invite.add_argument(
        "--share",
        choices=("on", "off"),
        help="on: let the partner read what your members wrote in their own words; off: only "
        "your choices (the default)",
    )

    commands.add_parser(
        "run",
        help="run the Telegram bot",
        description=RUN_DESCRIPTION,
        formatter_class=_Formatter,
    )

    export = commands.add_parser(
        "export",
        help="write a finished plan as an agreement draft (Markdown, PDF or JSON)",
        description=EXPORT_DESCRIPTION,
        epilog=CHAT_EPILOG,
        formatter_class=_Formatter,
    )
    export.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help="read the plan from this SQLite file instead of the configured database",
    )
    export.add_argument(
        "--association",
        metavar="NAME",
        default="default",
        help="whose plan to export, as named in partnerbot chat (default: %(default)s)",
    )
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="md, pdf or json (default: from the file name's ending, else md)",
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="-",
        help='write here; "-" is standard output (default: %(default)s)',
    )

    db = commands.add_parser(
        "db",
        help="upgrade or downgrade the database schema",
        description=DB_DESCRIPTION,
        formatter_class=_Formatter,
    )
    db.set_defaults(db_parser=db)
    db_commands = db.add_subparsers(dest="db_command", metavar="{upgrade,downgrade}")
    up = db_commands.add_parser(
        "upgrade",
        help="apply every migration not applied yet",
        description="Bring the configured database to the newest schema (creates the tables "
        "in an empty database). Safe to run again.",
    )
    down = db_commands.add_parser(
        "downgrade",
        help="undo migrations",
        description="Undo migrations: the last one, or down to REV. Data in the removed tables "
        "or columns is lost, so it first says which revision it goes to, which tables it "
        "deletes and how many plans they hold, and asks; without a terminal it needs --yes.",
    )
    down.add_argument(
        "revision",
        metavar="REV",
        nargs="?",
        default="-1",
        help='the revision to go back to: an id, "-N" for N steps, or "base" for an empty '
        "database (default: -1, one step)",
    )
    down.add_argument(
        "--yes",
        action="store_true",
        help="do it without asking (needed when standard input is not a terminal)",
    )
    for sub in (up, down):
        sub.add_argument(
            "--db",
            metavar="PATH",
            type=Path,
            help="work on this SQLite file instead of the configured database",
        )
    from bot import webhook_cli

    webhook_cli.add_parser(commands, _Formatter)
    return parser


def setup_logging(settings: Settings, level: str | None = None) -> None:
    from bot.logs import setup_logging as configure

    configure(level or settings.log_level, [settings.token, settings.webhook.secret_token])
    if settings.ops.log_format == "json":
        from bot.logjson import use_json

        use_json()


def _quiet_level(settings: Settings) -> str:
    """The terminal is for the conversation or the output: only warnings unless DEBUG."""
    return "DEBUG" if settings.log_level == "DEBUG" else "WARNING"


def _check_database(url: str, *, write: bool = True) -> None:
    from storage.preflight import DatabaseProblem, check_database

    try:
        check_database(url, write=write)
    except DatabaseProblem as exc:
        raise ConfigError(str(exc)) from None


def _database_url(settings: Settings, db: Path | None) -> str:
    return sqlite_url(db) if db is not None else settings.database_url


def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console import DatabaseError, chat

    setup_logging(settings, _quiet_level(settings))
    name = _association(args)
    url = _database_url(settings, args.db)
    _check_database(url)
    try:
        # --language or PARTNERBOT_LANGUAGE is a choice (the plan switches to it); bot.language
        # in a config file is only the language of a new plan.
        choose = args.language is not None or "PARTNERBOT_LANGUAGE" in os.environ
        language = args.language or settings.language
        return chat(url, name, language, choose=choose, join=args.join)
    except DatabaseError as exc:
        raise ConfigError(str(exc)) from None


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging(settings, _quiet_level(settings))
    name = _association(args)
    url = _database_url(settings, args.db)
    # A missing SQLite file has no plan to invite a partner to (and is not created for one).
    _check_database(url, write=False)
    print(asyncio.run(_invite_text(url, name, settings, args.revoke, args.share)))
    return 0


async def _invite_text(
    url: str, name: str, settings: Settings, revoke: bool, share: str | None = None
) -> str:
    from bot.console import console_chat, console_member
    from flows.service import PlanningService
    from flows.texts import t

    store = await _open_store(url)
    try:
        service = PlanningService(
            store, language=settings.language, invite_days=settings.invite_days
        )
        if share is not None:
            chosen = share == "on"
            reply = await service.share_texts(console_chat(name), console_member(), chosen)
            return reply.text
        reply = await service.invite(console_chat(name), console_member(), revoke=revoke)
    finally:
        await store.close()
    if reply.invite_code is None:
        if reply.plan_id is None and not revoke:  # no plan at all
            raise ConfigError(
                f"association {name!r} has no plan to invite a partner to; plan one with: "
                f"partnerbot chat --association {shlex.quote(name)}"
            )
        return reply.text
    command = f"partnerbot chat --association PARTNER --join {reply.invite_code}"
    return "\n".join([reply.text, t("two.console_join", reply.language, command=command)])


async def _open_store(url: str) -> Any:
    """The store on ``url``; ConfigError saying why not."""
    from storage.preflight import sqlite_writable
    from storage.store import SqlStore

    try:
        # An older SQLite file is brought up to date, unless it is read-only (export only reads).
        return await SqlStore.open(url, migrate=sqlite_writable(url))
    except Exception as exc:
        logging.getLogger(__name__).debug("opening the database failed", exc_info=True)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(
            f"database {mask_url(url)} cannot be opened ({detail}); check --db, database.url "
            "or PARTNERBOT_DATABASE_URL"
        ) from None


def _association(args: argparse.Namespace) -> str:
    from bot.text import clean

    name = clean(args.association).strip()
    if not name:
        raise ConfigError("--association must not be empty; give a name such as --association Club")
    return name


def _export(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging(settings, _quiet_level(settings))
    name = _association(args)
    output: str = args.output
    to_stdout = output == "-"
    fmt: str = args.format or next(
        (f for f in EXPORT_FORMATS if not to_stdout and output.lower().endswith(f".{f}")), "md"
    )
    if fmt == "pdf" and to_stdout and _isatty(sys.stdout):
        raise ConfigError("a PDF is not for the terminal; write it to a file with -o FILE")
    url = _database_url(settings, args.db)
    _check_database(url, write=False)  # export only reads: a read-only file is fine
    doc = asyncio.run(_agreement(url, name, settings.language))
    data = _export_bytes(doc, fmt)  # in the plan's language
    if to_stdout:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    _write_file(Path(output), data)
    print(f"wrote the agreement draft of {name!r} to {output} ({fmt})")
    return 0


async def _agreement(url: str, name: str, language: str) -> dict[str, Any]:
    """The association's finished plan as agreement data; ConfigError saying why not."""
    from bot.console import console_chat
    from flows.service import PlanningService

    store = await _open_store(url)
    try:
        doc = await PlanningService(store, language=language).agreement(console_chat(name))
    finally:
        await store.close()
    if isinstance(doc, dict):
        return doc
    if doc.plan_id is None:  # no plan at all
        raise ConfigError(
            f"association {name!r} has no plan to export; plan one with: "
            f"partnerbot chat --association {shlex.quote(name)}"
        )
    raise ConfigError(
        f"the plan of association {name!r} is not finished yet; finish it with: "
        f"partnerbot chat --association {shlex.quote(name)}"
    )


def _export_bytes(doc: dict[str, Any], fmt: str) -> bytes:
    """The agreement in ``fmt``, in the plan's own language."""
    if fmt == "json":
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "pdf":
        from bot.pdf import agreement_pdf

        return agreement_pdf(doc)
    from flows.agreement_text import markdown

    return markdown(doc).encode("utf-8")


def _write_file(path: Path, data: bytes) -> None:
    """Write all of ``data`` or nothing: a failed write leaves no half file behind."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot write {path}: {reason}") from None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _run(settings: Settings) -> int:
    require_token(settings)
    setup_logging(settings)
    _check_database(settings.database_url)
    from bot.telegram import run_bot

    return int(run_bot(settings) or 0)


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    setup_logging(settings, "DEBUG" if settings.log_level == "DEBUG" else "WARNING")
    from bot import webhook_cli

    return webhook_cli.run(settings, args)


def _db(settings: Settings, args: argparse.Namespace) -> int:
    if args.db_command is None:
        args.db_parser.print_help(sys.stderr)
        return 2
    setup_logging(settings)
    from storage import migrate

    url = _database_url(settings, args.db)
    _check_database(url)
    try:
        if args.db_command == "upgrade":
            migrate.upgrade(url)
            done = "is up to date"
        else:
            target = _confirm_downgrade(url, args)
            if target is None:
                done = f"is already at revision {args.revision}; nothing to undo"
            else:
                migrate.downgrade(url, target)
                done = f"was downgraded to {target}"
    except ConfigError:
        raise
    except Exception as exc:
        logging.getLogger(__name__).debug("migration failed", exc_info=True)
        raise ConfigError(
            f"database {mask_url(url)}: {args.db_command} failed ({_oneline(exc)}); check --db, "
            "database.url or PARTNERBOT_DATABASE_URL"
        ) from None
    print(f"database {mask_url(url)} {done}")
    return 0


def _confirm_downgrade(url: str, args: argparse.Namespace) -> str | None:
    """Say what the downgrade would drop and get a yes: the revision to go to, or None when
    there is nothing to undo. ConfigError (nothing changed) without a yes."""
    from alembic.util import CommandError

    from storage import migrate

    try:
        preview = migrate.preview_downgrade(url, args.revision)
    except CommandError as exc:
        raise ConfigError(
            f"database {mask_url(url)} cannot be downgraded to {args.revision!r} "
            f"({_oneline(exc)}); give a revision id, -N or base"
        ) from None
    if preview.current == preview.target:
        return None
    target = preview.target or "base"
    lost = ", ".join(preview.tables) if preview.tables else "no tables"
    plans = f"{preview.plans} plan{'' if preview.plans == 1 else 's'}"
    summary = (
        f"db downgrade of {mask_url(url)} from revision {preview.current} to {target} would "
        f"delete {'the tables ' if preview.tables else ''}{lost} ({plans} lost)"
    )
    if args.yes:
        return target
    if not _isatty(sys.stdin):
        raise ConfigError(f"{summary}; nothing was changed: add --yes to go ahead")
    sys.stderr.write(f"{summary[0].upper()}{summary[1:]}.\nType yes to go ahead: ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() != "yes":
        raise ConfigError("downgrade cancelled; nothing was changed")
    return target


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    settings: Settings | None = None
    try:
        settings = load_settings(args.config, os.environ)
        install_catalogs()
        if args.command == "chat":
            return _chat(settings, args)
        if args.command == "run":
            return _run(settings)
        if args.command == "export":
            return _export(settings, args)
        if args.command == "invite":
            return _invite(settings, args)
        if args.command == "webhook":
            return _webhook(settings, args)
        return _db(settings, args)
    except ConfigError as exc:
        _fail(f"{exc}", settings)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A bug or something unforeseen: one line; the traceback only at DEBUG (redacted).
        logging.getLogger("partnerbot").debug("unexpected error", exc_info=True)
        _fail(
            f"unexpected error: {type(exc).__name__}: {_oneline(exc)}; run with "
            "PARTNERBOT_LOG_LEVEL=DEBUG for details",
            settings,
        )
        return 1


def _fail(line: str, settings: Settings | None) -> None:
    """Print the one line, with any secret redacted (it may quote a library's message)."""
    from bot.logs import redact

    secrets = [os.environ.get("PARTNERBOT_TOKEN"), os.environ.get("PARTNERBOT_WEBHOOK_SECRET")]
    if settings is not None:
        secrets += [settings.token, settings.webhook.secret_token]
    print(f"partnerbot: {redact(line, secrets)}", file=sys.stderr)
