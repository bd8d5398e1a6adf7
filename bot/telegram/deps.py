"""What every handler needs from the application: the planning service and the languages.

``build_application`` keeps them in ``application.bot_data[DEPS]``; handlers read them with
``deps(context)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from telegram.ext import ContextTypes

from bot.telegram.redraw import Redraws
from flows.events import Event
from flows.model import ChatRef, MemberRef
from flows.reply import Reply

DEPS = "partnerbot"  # bot_data key of the Deps


class Service(Protocol):
    """What the handlers ask of the PlanningService."""

    async def handle(
        self, chat: ChatRef, member: MemberRef, event: Event, *, plan_id: int | None = None
    ) -> Reply: ...

    async def forget(self, chat: ChatRef, *, member: MemberRef | None = None) -> Reply: ...

    async def plans(self, chat: ChatRef, *, member: MemberRef | None = None) -> Reply: ...

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool: ...

    async def agreement(
        self, chat: ChatRef, *, member: MemberRef | None = None
    ) -> dict[str, Any] | Reply: ...

    # Two-sided plans (bot.telegram.invites).
    async def invite(self, chat: ChatRef, member: MemberRef, *, revoke: bool = False) -> Reply: ...
    async def open_invite(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...
    async def join(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...
    async def decline(self, chat: ChatRef, member: MemberRef, code: str) -> Reply: ...
    async def partner_chats(self, chat: ChatRef) -> list[ChatRef]: ...
    def partner_left(self) -> Reply: ...
    async def share_texts(self, chat: ChatRef, member: MemberRef, share: bool) -> Reply: ...

    async def set_reminders(self, chat: ChatRef, on: bool, member: MemberRef) -> Reply: ...

    async def set_remind_time(
        self, chat: ChatRef, member: MemberRef, *, hour: int | None = None, zone: str | None = None
    ) -> Reply: ...

    async def review_answer(
        self,
        chat: ChatRef,
        member: MemberRef,
        plan_id: int | None,
        kind: str | None,
        step: str,
        value: str,
    ) -> Reply: ...


MEMO_SIZE = 50_000  # chats whose language is remembered in this process


class ChatLanguages:
    """chat id -> the language of the chat's plan, as the latest reply showed it."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        # A plain dict keeps insertion order too, at ~80 bytes an entry against an
        # OrderedDict's ~125: the memo holds every chat seen, up to ``size``.
        self._memo: dict[str, str] = {}

    def get(self, chat_id: str) -> str | None:
        return self._memo.get(chat_id)

    def note(self, chat_id: str, language: str) -> None:
        if not language:
            return
        self._memo.pop(chat_id, None)  # re-inserted: the most recently noted last
        self._memo[chat_id] = language
        while len(self._memo) > self.size:
            del self._memo[next(iter(self._memo))]

    def drop(self, chat_id: str) -> None:
        self._memo.pop(chat_id, None)


@dataclass(frozen=True)
class Deps:
    """What the handlers need, kept in ``application.bot_data[DEPS]``."""

    service: Service
    language: str = "en"  # the configured default, for chats whose language is not known
    languages: ChatLanguages = field(default_factory=lambda: ChatLanguages())
    redraws: Redraws = field(default_factory=Redraws)  # merged edits of the bot's messages


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.bot_data[DEPS]  # type: ignore[no-any-return]
