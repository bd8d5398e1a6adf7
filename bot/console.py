"""The console adapter: the planning conversation in a terminal, or from a piped script.

It sends the same events as the Telegram adapter to the same ``PlanningService`` and renders
each ``Reply`` as plain text: the question, numbered options, and a line saying what may be
typed. Input is read line by line, so ``printf '1\\n2\\n' | partnerbot chat`` plays answers.
Every answer is stored when it is given; running the same command again continues the plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from typing import Any, Protocol, TextIO

from bot.locales import install_catalogs
from bot.text import clean
from flows.events import (
    Back,
    Event,
    Restart,
    SetDue,
    SetLanguage,
    ShowTasks,
    Skip,
    Start,
    Summary,
    Text,
)
from flows.model import ChatRef, MemberRef
from flows.render import progress_text
from flows.reply import BOARD, INFO, INVITE, QUESTION, RESULT, REVIEW, Reply
from flows.setup import setup_event
from flows.texts import language_name, languages, supported, t
from flows.twosided import DECLINE, JOIN

log = logging.getLogger(__name__)

# Commands that become events for the service; the rest are handled here.
_EVENTS: dict[str, type[Event]] = {
    "/back": Back,
    "/skip": Skip,
    "/summary": Summary,
    "/restart": Restart,
    "/start": Start,
    "/resume": Start,
}
_QUIT = ("/quit", "/exit", "/q")


class Service(Protocol):
    async def handle(
        self, chat: ChatRef, member: MemberRef, event: Event, *, plan_id: int | None = None
    ) -> Reply: ...

    async def open_invite(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...
    async def join(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...
    async def decline(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _Console:
    def __init__(
        self,
        service: Service,
        chat: ChatRef,
        member: MemberRef,
        stdin: TextIO,
        stdout: TextIO,
        language: str = "en",
        choose: bool = False,
    ) -> None:
        self.service = service
        self.language = language  # of the last reply: the console's own lines follow it
        self.choose = choose  # the language was asked for (--language): set it on the plan
        self.chat = chat
        self.member = member
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = _isatty(stdin)
        self.current: Reply | None = None  # the last question, review or result shown
        self.finished = False

    # --- output ---------------------------------------------------------------------------

    def text(self, key: str, **params: Any) -> str:
        """A text of the catalogs (the console's own words are there too, under console.*)."""
        return t(key, self.language, **params)

    def progress(self, reply: Reply) -> str:
        return progress_text(reply, self.language)

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stdout.flush()

    def hint(self, reply: Reply) -> str:
        if reply.kind == RESULT:
            return self.text("console.result_hint")
        if reply.kind == REVIEW:
            what = self.text("console.type_choice")
        elif reply.question_kind == "multi":
            what = self.text("console.type_multi")
        elif reply.options:
            what = self.text("console.type_choice")
        else:
            what = self.text("console.type_text")
        commands = []
        if reply.can_go_back:
            commands.append("/back")
        if reply.skippable:
            commands.append("/skip")
        commands += ["/summary", "/restart", "/quit", "/help"]
        return self.text("console.commands", what=what, commands=" ".join(commands))

    def render(self, reply: Reply) -> None:
        lines: list[str] = []
        if reply.answer_text is not None and reply.previous_question is not None:
            lines.append(self.text("ui.answered", answer=reply.answer_text))
            lines.append("")
        if reply.kind == QUESTION and reply.progress:
            lines.append(self.progress(reply))
        # Refused input says what to type; the console has no buttons to tap.
        text = reply.plain_text if reply.plain_text is not None else reply.text
        if text:
            lines.append(text.rstrip())
        if reply.details:  # a terminal scrolls: the whole reasoning at once
            lines += ["", reply.details.rstrip()]
        lines.extend(reply.notes)
        multi = reply.question_kind == "multi" and reply.kind == QUESTION
        if reply.kind == BOARD:  # its buttons are for tapping: typed, a task takes /due
            lines += ["", self.text("console.board_hint")]
        for number, option in enumerate(() if reply.kind == BOARD else reply.options, 1):
            mark = ("[x] " if option.selected else "[ ] ") if multi else ""
            lines.append(f"  {number}. {mark}{option.label}")
        if reply.kind in (QUESTION, REVIEW, RESULT):
            self.current = reply
            self.finished = reply.kind == RESULT
            lines.append(self.hint(reply))
        elif self.current is not None and not self.finished:
            # A summary, a notice or refused input: nothing moved; say what may be typed.
            if reply.kind == INFO and reply.question is None:
                lines.append("")
                lines.append(self.where())
            lines.append(self.hint(self.current))
        self.say()
        for line in lines:
            self.say(line)
        self.flush()

    def where(self) -> str:
        reply = self.current
        assert reply is not None
        if reply.kind == QUESTION and reply.progress:
            first = reply.text.strip().splitlines()[0] if reply.text.strip() else ""
            where = self.progress(reply)
            where = where[:1].lower() + where[1:]  # mid-sentence
            return self.text("console.still_at", where=where, question=first)
        return self.text("console.still_at_review")

    # --- input ----------------------------------------------------------------------------

    def read_line(self) -> str | None:
        """The next line without its newline, or None at the end of input."""
        if self.interactive:
            self.stdout.write("> ")
            self.flush()
        line = self.stdin.readline()
        if not line:
            if self.interactive:
                self.say()
            return None
        line = clean(line).strip()  # a NUL typed or piped in could not be stored
        if not self.interactive:  # echo, so the output of a piped script reads as a dialogue
            self.say(f"> {line}")
        return line

    async def send(self, event: Event) -> None:
        # No plan_id: a typed line is for whatever the current question is now.
        reply = await self.service.handle(self.chat, self.member, event)
        self.language = reply.language or self.language
        self.render(reply)

    def farewell(self) -> None:
        self.say()
        self.say(self.text("console.goodbye" if self.finished else "console.saved"))
        self.flush()

    async def set_language(self, args: list[str]) -> None:
        wanted = supported(args[0]) if args else None
        if wanted is None:
            names = ", ".join(f"{code} ({language_name(code)})" for code in languages())
            self.say()
            self.say(self.text("console.language_usage", languages=names))
            self.flush()
            return
        reply = await self.service.handle(self.chat, self.member, SetLanguage(wanted))
        self.language = reply.language or self.language
        self.say()
        self.say(reply.text)
        await self.send(Start())  # the current question again, in the new language

    async def join(self, code: str) -> int | None:
        """Open an invite: show it, then join or decline as the next line says. None to go on
        with the partner's half, else the exit status (1: the code cannot be used)."""
        reply = await self.service.open_invite(self.chat, self.member, code)
        self.render(reply)
        if reply.kind != INVITE:
            return 1
        while True:
            line = self.read_line()
            if line is None or line.lower() in _QUIT:
                self.flush()
                return 0
            picked = _pick(line, reply)
            if picked == JOIN:
                joined = await self.service.join(self.chat, self.member, code)
                self.render(joined)
                return None if joined.kind == QUESTION else 1
            if picked == DECLINE:
                self.render(await self.service.decline(self.chat, self.member, code))
                return 0
            self.say(self.text("console.type_choice"))
            self.flush()

    async def run(self, join: str | None = None) -> int:
        if join is not None:
            status = await self.join(join)
            return await self.loop() if status is None else status
        if self.choose:  # --language: the plan speaks it from now on (no word if it already did)
            reply = await self.service.handle(self.chat, self.member, SetLanguage(self.language))
            self.language = reply.language or self.language
        await self.send(Start())
        return await self.loop()

    async def loop(self) -> int:
        while True:
            line = self.read_line()
            if line is None:
                self.farewell()
                return 0
            if line.startswith("/"):
                command = line.split()[0].lower()
                if command in _QUIT:
                    self.farewell()
                    return 0
                if command == "/language":
                    await self.set_language(line.split()[1:])
                    continue
                if command == "/help":
                    self.say()
                    self.say(self.text("console.help"))
                    if self.current is not None:
                        self.say(self.hint(self.current))
                    self.flush()
                    continue
                if command in ("/tasks", "/due"):
                    await self.send(_work_event(line))
                    continue
                if command == "/setup":
                    await self.send(setup_event(line))
                    continue
                event_type = _EVENTS.get(command)
                if event_type is None:
                    self.say()
                    self.say(self.text("console.unknown_command", command=command))
                    self.flush()
                    continue
                await self.send(event_type())
            else:
                await self.send(Text(line))


def _work_event(line: str) -> Event:
    """``/tasks`` shows the task board; ``/due N DATE`` sets task N's due date."""
    parts = line.split(maxsplit=2)
    if parts[0].lower() == "/tasks":
        return ShowTasks()
    # Without both, no task is named: the board answers with how to write it.
    return SetDue(parts[1], parts[2]) if len(parts) == 3 else SetDue("", "")


async def run_console(
    service: Service,
    chat: ChatRef,
    member: MemberRef,
    stdin: TextIO,
    stdout: TextIO,
    *,
    language: str = "en",
    choose: bool = False,
    join: str | None = None,
) -> int:
    """Hold the conversation on ``stdin``/``stdout``; returns the exit status (0).

    ``language``: for a new plan (and, with ``choose``, for the existing one as well).
    ``join``: an invite code; the conversation is the partner's half of that plan.
    """
    return await _Console(service, chat, member, stdin, stdout, language, choose).run(join)


def _pick(line: str, reply: Reply) -> str | None:
    """The option a typed line names: its number or its label."""
    for number, option in enumerate(reply.options, 1):
        if line.strip() == str(number) or line.strip().lower() == option.label.lower():
            return option.key
    return None


def console_chat(name: str) -> ChatRef:
    """The association a console profile stands for."""
    return ChatRef(transport="console", chat_id=name, kind="private", title=name)


def console_member(language: str | None = None) -> MemberRef:
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""
    user = user or "console"
    return MemberRef(user_id=user, name=user, language=language)


class DatabaseError(Exception):
    """The database could not be opened; the message is one line for the user."""


async def _chat(
    database_url: str,
    association: str,
    language: str,
    stdin: TextIO,
    stdout: TextIO,
    choose: bool,
    join: str | None = None,
) -> int:
    from bot.config import mask_url
    from flows.service import PlanningService
    from storage.store import SqlStore

    try:
        store = await SqlStore.open(database_url, migrate=database_url.startswith("sqlite"))
    except Exception as exc:
        log.debug("opening the database failed", exc_info=True)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DatabaseError(
            f"database {mask_url(database_url)} cannot be opened ({detail}); check --db, "
            "database.url or PARTNERBOT_DATABASE_URL"
        ) from None
    try:
        service = PlanningService(store, language=language)
        return await run_console(
            service,
            console_chat(association),
            console_member(language),
            stdin,
            stdout,
            language=language,
            choose=choose,
            join=join,
        )
    finally:
        await store.close()


def chat(
    database_url: str,
    association: str = "default",
    language: str = "en",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    choose: bool = False,
    join: str | None = None,
) -> int:
    """``partnerbot chat``: run the conversation on the terminal; returns the exit status.

    ``language`` is that of a new plan; with ``choose`` (``--language``) the existing plan
    switches to it too. Ctrl-C stops at once (status 130); the answers given so far are
    already stored.
    """
    install_catalogs()
    if stdin is None:
        stdin = sys.stdin
        # A stray byte that is not text in the input must not end the conversation.
        with contextlib.suppress(AttributeError, ValueError):
            stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
    if stdout is None:
        stdout = sys.stdout
        with contextlib.suppress(AttributeError, ValueError):
            stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
    # asyncio.run turns the first Ctrl-C into a task cancellation, which does not interrupt a
    # blocking readline. A handler of our own makes Ctrl-C raise KeyboardInterrupt right away.
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        return asyncio.run(_chat(database_url, association, language, stdin, stdout, choose, join))
    except KeyboardInterrupt:
        stdout.write("\n" + t("console.saved", language) + "\n")
        stdout.flush()
        return 130
    except BrokenPipeError:
        # The reader went away (``partnerbot chat | head``). Point stdout at /dev/null so the
        # interpreter's final flush does not fail again, as the Python docs recommend.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
