"""What every handler needs from the application: the planning service and the language.

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

    async def forget(self, chat: ChatRef) -> Reply: ...

    async def plans(self, chat: ChatRef) -> Reply: ...

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool: ...

    async def agreement(self, chat: ChatRef) -> dict[str, Any] | Reply: ...


@dataclass(frozen=True)
class Deps:
    """What the handlers need, kept in ``application.bot_data[DEPS]``."""

    service: Service
    language: str = "en"
    redraws: Redraws = field(default_factory=Redraws)  # merged edits of the bot's messages


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.bot_data[DEPS]  # type: ignore[no-any-return]
