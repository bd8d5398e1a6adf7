"""Which language a chat reads, and /language to choose it.

A chat's language is its plan's (stored with the plan): the member's choice in a private chat,
the administrators' in a group. A chat without a plan reads the member's Telegram language
(``language_code``) when we ship it, else the configured default, else English.

The adapter's own words (toasts, help, errors) follow the chat's language too. It learns that
language from the service's replies (``Reply.language``) and keeps it per chat in a bounded
memo, so no extra database read is needed; after a restart the member's Telegram language
stands in until the chat's next reply.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.ext import ContextTypes

from bot.telegram.deps import ChatLanguages, deps
from flows.events import Event
from flows.model import ChatRef, MemberRef
from flows.reply import Reply
from flows.texts import language_name, languages, supported, t

_LANGUAGE_DATA = re.compile(r"l\|([a-z]{2,3})", re.ASCII)  # callback data of a language button


class LanguageNotingService:
    """The planning service, noting the language of every reply per chat."""

    def __init__(self, inner: Any, memo: ChatLanguages) -> None:
        self.inner = inner
        self.memo = memo

    async def handle(
        self, chat: ChatRef, member: MemberRef, event: Event, *, plan_id: int | None = None
    ) -> Reply:
        reply: Reply = await self.inner.handle(chat, member, event, plan_id=plan_id)
        self.memo.note(chat.chat_id, reply.language)
        return reply

    async def forget(self, chat: ChatRef, **kwargs: Any) -> Reply:
        reply: Reply = await self.inner.forget(chat, **kwargs)
        self.memo.drop(chat.chat_id)
        return reply

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool:
        moved: bool = await self.inner.chat_moved(chat, new_chat_id)
        known = self.memo.get(chat.chat_id)
        if known:
            self.memo.note(new_chat_id, known)
        return moved

    async def plans(self, chat: ChatRef, **kwargs: Any) -> Reply:
        reply: Reply = await self.inner.plans(chat, **kwargs)
        self.memo.note(chat.chat_id, reply.language)
        return reply

    # Two-sided plans: the partner's chat gets its language when it joins.
    async def invite(self, chat: ChatRef, member: MemberRef, **kwargs: Any) -> Reply:
        reply: Reply = await self.inner.invite(chat, member, **kwargs)
        return reply

    async def open_invite(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        reply: Reply = await self.inner.open_invite(chat, member, code)
        return reply

    async def join(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        reply: Reply = await self.inner.join(chat, member, code)
        self.memo.note(chat.chat_id, reply.language)
        return reply

    async def decline(self, chat: ChatRef, member: MemberRef, code: str) -> Reply:
        reply: Reply = await self.inner.decline(chat, member, code)
        return reply

    async def partner_chats(self, chat: ChatRef) -> list[ChatRef]:
        chats: list[ChatRef] = await self.inner.partner_chats(chat)
        return chats

    async def share_texts(self, chat: ChatRef, member: MemberRef, share: bool) -> Reply:
        reply: Reply = await self.inner.share_texts(chat, member, share)
        return reply

    def partner_left(self) -> Reply:
        reply: Reply = self.inner.partner_left()
        return reply

    async def set_reminders(self, chat: ChatRef, on: bool, member: MemberRef) -> Reply:
        reply: Reply = await self.inner.set_reminders(chat, on, member)
        return reply

    async def set_remind_time(self, chat: ChatRef, member: MemberRef, **kwargs: Any) -> Reply:
        reply: Reply = await self.inner.set_remind_time(chat, member, **kwargs)
        return reply

    async def review_answer(self, chat: ChatRef, member: MemberRef, *args: Any) -> Reply:
        reply: Reply = await self.inner.review_answer(chat, member, *args)
        return reply

    async def agreement(self, chat: ChatRef, **kwargs: Any) -> Any:
        doc = await self.inner.agreement(chat, **kwargs)
        if isinstance(doc, dict) and doc.get("language"):
            self.memo.note(chat.chat_id, doc["language"])
        return doc


def user_language(user: User | None) -> str | None:
    """The member's Telegram language, when we ship it."""
    return supported(user.language_code) if user is not None else None


def chat_language(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat | None, user: User | None = None
) -> str:
    """The language to write to ``chat`` in (see the module's docstring for the order)."""
    known = deps(context).languages.get(str(chat.id)) if chat is not None else None
    return known or user_language(user) or deps(context).language


def update_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    return chat_language(context, update.effective_chat, update.effective_user)


# --- /language -------------------------------------------------------------------------------


def encode_language(language: str) -> str:
    return f"l|{language}"


def decode_language(raw: object) -> str | None:
    match = _LANGUAGE_DATA.fullmatch(raw) if isinstance(raw, str) else None
    return match.group(1) if match else None


def language_menu(group: bool, language: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question and one button per shipped language, each named in its own language."""
    key = "ui.language_menu_group" if group else "ui.language_menu"
    rows = [
        [InlineKeyboardButton(language_name(code), callback_data=encode_language(code))]
        for code in languages()
    ]
    return t(key, language), InlineKeyboardMarkup(rows)
