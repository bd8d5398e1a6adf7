"""After planning, on a phone: the checklist, the task board and the agreement export.

- ``/checklist`` shows the plan's checklist as one message: numbered lines (in a group, who
  ticked an item comes first) and one small numbered button per item. A tap sets the item to
  the state the member asked for and redraws the same message. ``/checklist add TEXT`` adds an
  item of the association's own.
- ``/tasks`` shows the task split as a board: one row per task, its short name (tick it done)
  and ✋ to take one of our side.
- One live copy: showing a list or board again removes the buttons of the previous copy; a tap
  that was already on its way to that copy changes nothing and says so. Redraws are merged
  (``redraw``): a burst of taps costs a few edits, not one per tap.
- ``/export`` sends the finished plan as an agreement draft: a formatted message and a PDF.

Work buttons have callback data of their own (``work_callback_data``); ``register`` adds the
handlers ahead of the adapter's catch-alls. Drawing the messages is ``work_render``'s job.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Chat, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, BaseHandler, CommandHandler, ContextTypes, filters

from bot.telegram import reminders
from bot.telegram.delivery import deliver
from bot.telegram.deps import deps
from bot.telegram.language import chat_language, update_language
from bot.telegram.messages import redraw, send
from bot.telegram.refs import chat_ref, member_ref, message_text, sender_ref
from bot.telegram.render import Rendered
from bot.telegram.taps import AnswerOnce, CallbackDataHandler, log_foreign, log_race, tap_of
from bot.telegram.work_callback_data import PATTERN, PREFIX, decode, to_event
from bot.telegram.work_render import html_chunks, markdown_to_html, view_keyboard, view_text
from flows import events as ev
from flows.agreement_text import markdown
from flows.model import MemberRef
from flows.reply import BOARD, CHECKLIST, CONFLICT, STALE, Reply
from flows.setup import setup_event
from flows.texts import t

logger = logging.getLogger(__name__)

_VERSIONS = "work_versions"  # chat_data: message id -> newest plan version drawn on it
_LIVE = "work_live"  # chat_data: "checklist" / "board" -> the message showing its live copy
_VERSIONS_KEPT = 32


def pdf_name(language: str) -> str:
    """The agreement PDF's file name, in the plan's language (a member saves and forwards it)."""
    return f"{t('export.file_name', language)}.pdf"


# --- commands --------------------------------------------------------------------------------


async def checklist_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/checklist`` shows the list; ``/checklist add TEXT`` adds an item of our own."""
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None:
        return
    parts = message_text(message).split(maxsplit=2)
    if len(parts) == 1:
        event: ev.Work = ev.ShowChecklist()
    elif parts[1].lower() == "add":
        event = ev.AddItem(parts[2] if len(parts) > 2 else "")
    else:
        await _send_text(context, chat.id, t("check.usage", update_language(update, context)))
        return
    reply = await deps(context).service.handle(chat_ref(chat), member, event)
    await show_view(context, chat, reply)


async def tasks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:
        return
    reply = await deps(context).service.handle(chat_ref(chat), member, ev.ShowTasks())
    await show_view(context, chat, reply)


async def setup_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/setup`` shows the parties; ``/setup name|partner|contact VALUE`` sets one."""
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None:
        return
    reply = await deps(context).service.handle(chat_ref(chat), member, setup_event(message.text))
    await _send_text(context, chat.id, reply.text)


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The finished plan as a formatted message and as a one-page PDF."""
    if update.effective_chat is not None:
        await send_agreement(context, update.effective_chat, sender_ref(update))


async def send_agreement(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, member: MemberRef | None = None
) -> None:
    """``member``: who exports; a missing name of our association is asked of them."""
    doc = await deps(context).service.agreement(chat_ref(chat), member=member)
    if isinstance(doc, Reply):  # no plan, or not finished: the service says what to do
        await _send_text(context, chat.id, doc.text)
        return
    lang = doc["language"]  # the plan's language
    if member is not None and doc["parties"]["us"]["name"] is None:  # asked when first needed
        await _send_text(context, chat.id, t("export.name_missing", lang))
    for chunk in html_chunks(markdown_to_html(markdown(doc))):

        async def send_html(chunk: str = chunk) -> Message:
            return await context.bot.send_message(
                chat.id,
                chunk,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        if await deliver(context, chat.id, "sendMessage", send_html) is None:
            return  # the chat blocked us
    # fpdf2 (~35 MB with its font tools) is loaded on the first export, not at start.
    from bot.pdf import agreement_pdf

    pdf = await asyncio.to_thread(agreement_pdf, doc)  # CPU work off the event loop
    await deliver(
        context,
        chat.id,
        "sendDocument",
        lambda: context.bot.send_document(
            chat.id, pdf, filename=pdf_name(lang), caption=t("export.title", lang)
        ),
    )


# --- buttons ---------------------------------------------------------------------------------


async def work_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a checklist or board button. Always answers the query."""
    query = update.callback_query
    if query is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        parts = tap_of(update, query, "work button", decode(query.data))
        if parts is None:
            tap.toast = t("ui.bad_button", lang)
            return
        chat, user, message, button = parts
        if _is_old_view(context, button.checklist, message.message_id):
            tap.toast = t("ui.old_copy", lang)
            return
        service = deps(context).service
        member = member_ref(user)
        reply = await service.handle(
            chat_ref(chat), member, to_event(button), plan_id=button.plan_id
        )
        if reply.kind in (CHECKLIST, BOARD):
            await tap.answer()
            await _show_in_place(context, chat, message, reply)
            return
        if reply.plan_id != button.plan_id:
            # Another plan's button (an older plan of this chat, or one copied from another
            # chat), no plan any more, or a lost race: nothing changed; say why.
            if reply.kind == STALE:
                log_foreign("work button", button.plan_id, user, chat, reply.plan_id)
            elif reply.kind == CONFLICT:
                log_race("work button", button.plan_id, user, chat)
            tap.toast = reply.text or t("ui.stale_button", reply.language or lang)
            return
        # Our plan, but the message shows an older state (the list changed, someone took the
        # task first): say so, and redraw the message as things are now.
        await tap.answer(
            (reply.notes[0] if reply.notes else reply.text) or t("ui.stale_button", lang)
        )
        current = reply
        if reply.page is None or not reply.options:
            show: ev.Work = (
                ev.ShowChecklist(button.page) if button.checklist else ev.ShowTasks(button.page)
            )
            current = await service.handle(chat_ref(chat), member, show, plan_id=button.plan_id)
        if current.kind in (CHECKLIST, BOARD, STALE) and current.page is not None:
            await _show_in_place(context, chat, message, current)


# --- sending ---------------------------------------------------------------------------------


async def show_view(context: ContextTypes.DEFAULT_TYPE, chat: Chat, reply: Reply) -> None:
    """Send a checklist or board (or the notice the service gave instead)."""
    if reply.kind in (CHECKLIST, BOARD):
        lang = reply.language or chat_language(context, chat)
        await _send_view(context, chat, reply, view_text(reply, lang), view_keyboard(reply, lang))
        return
    # A notice, or refused input (too long, duplicate, no plan yet): says what to do.
    await _send_text(context, chat.id, "\n\n".join(p for p in (reply.text, *reply.notes) if p))


async def _send_text(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    await send(context, chat_id, Rendered((text or "…",)))  # Telegram refuses empty messages


async def _send_view(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    reply: Reply,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> None:
    """Send a checklist or board as a new message, noting which plan version it shows; the
    previous copy of the list (or board) loses its buttons."""
    kind = _view_kind(reply.kind == CHECKLIST)
    sent = await send(context, chat.id, Rendered((text,), markup))
    if sent is None or context.chat_data is None:
        return
    _drawn(context, sent.message_id, reply.version)
    live: dict[str, int] = context.chat_data.setdefault(_LIVE, {})
    previous = live.get(kind)
    live[kind] = sent.message_id
    if previous is not None and previous != sent.message_id:
        redraw(context, chat.id, previous, None, None)


def _view_kind(checklist: bool) -> str:
    return "checklist" if checklist else "board"


def _is_old_view(context: ContextTypes.DEFAULT_TYPE, checklist: bool, message_id: int) -> bool:
    """Whether the tapped list (or board) is an older copy than the one last sent."""
    if context.chat_data is None:
        return False
    live = context.chat_data.get(_LIVE, {}).get(_view_kind(checklist))
    return live is not None and live != message_id


async def _show_in_place(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, tapped: Any, reply: Reply
) -> None:
    """Redraw the tapped message with ``reply``; a new message when it cannot be edited."""
    lang = reply.language or chat_language(context, chat)
    text, markup = view_text(reply, lang), view_keyboard(reply, lang)
    message = tapped if isinstance(tapped, Message) else None  # None: too old to edit
    if message is not None:
        if not _drawn(context, message.message_id, reply.version):
            # Two taps at once: the other one already drew a newer state on this message.
            return

        async def anew() -> None:  # e.g. older than 48 hours or deleted: send it anew
            await _send_view(context, chat, reply, text, markup)

        redraw(context, chat.id, message.message_id, text, markup, anew)
        return
    await _send_view(context, chat, reply, text, markup)


def _drawn(context: ContextTypes.DEFAULT_TYPE, message_id: int, version: int | None) -> bool:
    """Note that ``message_id`` shows the plan at ``version``; False when it shows a newer one.

    Replies of concurrent taps can finish in any order; the newest state must stay on screen.
    """
    if context.chat_data is None or version is None:
        return True
    versions: dict[int, int] = context.chat_data.setdefault(_VERSIONS, {})
    if versions.get(message_id, -1) > version:
        return False
    versions.pop(message_id, None)
    versions[message_id] = version
    while len(versions) > _VERSIONS_KEPT:  # oldest first: dicts keep insertion order
        versions.pop(next(iter(versions)))
    return True


# --- wiring ----------------------------------------------------------------------------------

# Commands only on new messages: an edited "/checklist add ..." must not add again.
_NEW = filters.UpdateType.MESSAGE

COMMANDS = {
    "checklist": checklist_command,
    "tasks": tasks_command,
    "export": export_command,
    "setup": setup_command,
    **reminders.COMMANDS,
}

HANDLERS: tuple[BaseHandler[Update, Any, Any], ...] = (
    *(CommandHandler(name, callback, filters=_NEW) for name, callback in COMMANDS.items()),
    CallbackDataHandler(work_button, PATTERN, prefix=f"{PREFIX}|"),
    *reminders.HANDLERS,
)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the work handlers to group 0, ahead of the adapter's catch-alls there (unknown
    commands, question buttons), since the first matching handler of a group wins."""
    for handler in reversed(HANDLERS):
        application.add_handler(handler, group=0)
        handlers = application.handlers[0]
        handlers.remove(handler)
        handlers.insert(0, handler)
