"""After planning, on a phone: the checklist, the task board and the agreement export.

- ``/checklist`` shows the plan's checklist as one message, one button per item (☐ / ☑ and
  its label; in a group, who ticked it). A tap sets the item to the state the member asked for
  and redraws the same message. ``/checklist add TEXT`` adds an item of the association's own.
- ``/tasks`` shows the task split as a board: tick a task done, or take one of our side.
- ``/export`` sends the finished plan as an agreement draft: a formatted message and a PDF.

Work buttons have callback data of their own, ``w|...`` (see ``WorkButton``), so they never
meet the question buttons' ``1|...``; ``register`` adds the handlers ahead of the adapter's
catch-alls. Every tap carries the plan id (a button of another chat's or an older plan is
refused by the service) and the page it was drawn on. Ticks carry the state wanted, so the
service's retries after a lost race, and double taps, are harmless.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.pdf import agreement_pdf
from bot.telegram.delivery import answer_query, deliver
from bot.telegram.handlers import deps
from bot.telegram.refs import chat_ref, member_ref, sender_ref
from bot.telegram.render import MAX_MESSAGE
from flows import events as ev
from flows.export import markdown
from flows.model import ChatRef
from flows.reply import BOARD, CHECKLIST, STALE, Option, Reply
from flows.texts import t
from flows.workboard import CLAIM, TICK

logger = logging.getLogger(__name__)

PDF_NAME = "partnership-plan.pdf"
MAX_LABEL = 60  # a button label on a phone; longer ones are cut with "…"
UNTICKED, TICKED = "☐", "☑"
_VERSIONS = "work_versions"  # chat_data: message id -> newest plan version drawn on it
_VERSIONS_KEPT = 32


# --- callback data ---------------------------------------------------------------------------

PREFIX = "w"
MAX_BYTES = 64  # Telegram's limit for callback_data
MAX_KEY = 32  # item keys are at most 16 characters, task keys at most 24
PATTERN = rf"^{PREFIX}\|"  # what the CallbackQueryHandler listens to

_INT = r"0|[1-9][0-9]{0,17}"
_PAGE = r"0|[1-9][0-9]{0,2}"
_DATA = re.compile(
    rf"{PREFIX}\|([a-z])\|({_INT})\|({_PAGE})\|([a-z][a-z0-9_]{{0,{MAX_KEY - 1}}})?\|([01])?",
    re.ASCII,
)


class Op(StrEnum):
    ITEM = "i"  # set a checklist item to ``done``
    LIST = "l"  # show a page of the checklist
    TASK = "t"  # set a task to ``done``
    CLAIM = "c"  # take a task ("I'll take it")
    BOARD = "b"  # show a page of the task board


_KEYED = frozenset({Op.ITEM, Op.TASK, Op.CLAIM})  # name an item or a task
_STATEFUL = frozenset({Op.ITEM, Op.TASK})  # carry the state wanted
_CHECKLIST_OPS = frozenset({Op.ITEM, Op.LIST})


@dataclass(frozen=True)
class WorkButton:
    """One work button: ``w|<op>|<plan id>|<page>|<key>|<done>`` (empty fields: none).

    ``w|i|12|0|know_partner|1`` ticks "know_partner" of plan 12 (drawn on page 0),
    ``w|l|12|1||`` shows page 1 of the checklist, ``w|c|12|0|event_venue|`` takes a task.
    """

    op: Op
    plan_id: int
    page: int = 0
    key: str | None = None
    done: bool | None = None

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"invalid work button {self!r}: {problem}")

    @property
    def checklist(self) -> bool:
        """Whether it belongs to the checklist (else to the task board)."""
        return self.op in _CHECKLIST_OPS


def _problem(button: WorkButton) -> str | None:
    if button.plan_id < 1 or not 0 <= button.page <= 999:
        return "plan id must be positive and the page 0-999"
    if (button.key is not None) != (button.op in _KEYED):
        return "key given where none belongs, or missing"
    if button.key is not None and not re.fullmatch(
        rf"[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}", button.key, re.ASCII
    ):
        return "key must be a short lower-case identifier"
    if (button.done is not None) != (button.op in _STATEFUL):
        return "state given where none belongs, or missing"
    return None


def encode(button: WorkButton) -> str:
    done = "" if button.done is None else str(int(button.done))
    raw = f"{PREFIX}|{button.op.value}|{button.plan_id}|{button.page}|{button.key or ''}|{done}"
    if len(raw.encode()) > MAX_BYTES:  # cannot happen with the bounded fields; be certain
        raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {raw!r}")
    return raw


def decode(raw: object) -> WorkButton | None:
    """The button behind ``raw``, or None when it is not exactly what ``encode`` produces."""
    if not isinstance(raw, str) or len(raw.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    match = _DATA.fullmatch(raw)
    if match is None:
        return None
    op_code, plan_id, page, key, done = match.groups()
    try:
        return WorkButton(
            Op(op_code), int(plan_id), int(page), key, None if done is None else done == "1"
        )
    except ValueError:
        return None


def to_event(button: WorkButton) -> ev.Work:
    """The domain event a tap on this button stands for."""
    page = button.page
    match button.op:
        case Op.ITEM:
            assert button.key is not None and button.done is not None
            return ev.TickItem(button.key, button.done, page)
        case Op.LIST:
            return ev.ShowChecklist(page)
        case Op.TASK:
            assert button.key is not None and button.done is not None
            return ev.TickTask(button.key, button.done, page)
        case Op.CLAIM:
            assert button.key is not None
            return ev.ClaimTask(button.key, page)
        case Op.BOARD:
            return ev.ShowTasks(page)
    raise AssertionError(f"unhandled op {button.op!r}")  # pragma: no cover


# --- rendering -------------------------------------------------------------------------------


def view_text(reply: Reply, language: str) -> str:
    """The message of a checklist or board reply (a stale reply's note goes in a toast)."""
    parts = [reply.text] if reply.text else []
    if reply.notes and reply.kind != STALE:
        parts.append("\n".join(reply.notes))
    if reply.page is not None and reply.page[1] > 1:
        page, pages = reply.page
        parts.append(t("ui.page", language, page=page + 1, pages=pages))
    text = "\n\n".join(parts) or "…"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def view_keyboard(reply: Reply, language: str) -> InlineKeyboardMarkup | None:
    """The buttons of a checklist or board reply: one per item or task, then ◀ ▶."""
    if reply.plan_id is None:
        return None
    plan_id = reply.plan_id
    page, pages = reply.page or (0, 1)
    board = any(o.key.startswith((TICK, CLAIM)) for o in reply.options) or reply.kind == BOARD

    def button(
        label: str, op: Op, key: str | None = None, done: bool | None = None, to: int = page
    ) -> InlineKeyboardButton:
        data = encode(WorkButton(op, plan_id, to, key, done))
        return InlineKeyboardButton(_label(label), callback_data=data)

    rows: list[list[InlineKeyboardButton]] = []
    for option in reply.options:
        try:
            if board and option.key.startswith(TICK):
                rows.append([_tick(button, option, Op.TASK, option.key[len(TICK) :])])
            elif board and option.key.startswith(CLAIM):
                rows.append([button(option.label, Op.CLAIM, option.key[len(CLAIM) :])])
            elif not board:
                rows.append([_tick(button, option, Op.ITEM, option.key)])
        except ValueError:  # a key the callback data cannot carry: leave the button out
            logger.warning("No work button for option %r of plan %s", option.key, plan_id)
    if pages > 1:
        nav = Op.BOARD if board else Op.LIST
        # Both arrows always, wrapping round, so they stay under the thumb on every page.
        rows.append(
            [
                button(t("ui.page_prev", language), nav, to=(page - 1) % pages),
                button(t("ui.page_next", language), nav, to=(page + 1) % pages),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def _tick(
    button: Callable[..., InlineKeyboardButton], option: Option, op: Op, key: str
) -> InlineKeyboardButton:
    mark = TICKED if option.selected else UNTICKED
    # The button asks for the other state: retried or repeated, it lands the same.
    return button(f"{mark} {option.label}", op, key, not option.selected)


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


# --- the agreement as a Telegram message -----------------------------------------------------


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def markdown_to_html(text: str) -> list[str]:
    """The export's Markdown as Telegram HTML lines; every text is escaped, every tag closed
    on its own line (so the lines can be cut into messages anywhere between them)."""
    lines: list[str] = []
    table_rows = 0
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if all(set(cell) <= set("-: ") for cell in cells):
                continue  # the header's underline
            joined = html.escape(" — ".join(c for c in cells if c), quote=False)
            lines.append(f"<i>{joined}</i>" if table_rows == 0 else f"• {joined}")
            table_rows += 1
            continue
        table_rows = 0
        heading = re.match(r"#{1,6} +(.*)", line)
        if heading:
            lines.append(f"<b>{html.escape(heading.group(1), quote=False)}</b>")
        elif line.startswith("- "):
            lines.append(f"• {html.escape(line[2:], quote=False)}")
        else:
            lines.append(html.escape(line, quote=False))
    return lines


def html_chunks(lines: Iterable[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Whole lines packed into messages of at most ``limit``; an over-long line is cut."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        pieces = [line] if _units(line) <= limit else _cut(line, limit)
        for piece in pieces:
            extra = _units(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current).strip("\n"))
                current, size = [], 0
                extra = _units(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [chunk for chunk in chunks if chunk.strip()]


def _cut(line: str, limit: int) -> list[str]:
    """An over-long HTML line as plain escaped pieces (tags dropped, entities kept whole)."""
    plain = html.unescape(re.sub(r"</?[bi]>", "", line))
    pieces: list[str] = []
    current, size = [], 0
    for char in plain:
        escaped = html.escape(char, quote=False)
        if size + _units(escaped) > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(escaped)
        size += _units(escaped)
    if current:
        pieces.append("".join(current))
    return pieces


# --- handlers --------------------------------------------------------------------------------


class WorkService(Protocol):
    async def handle(
        self, chat: ChatRef, member: Any, event: ev.Event, *, plan_id: int | None = None
    ) -> Reply: ...

    async def agreement(self, chat: ChatRef) -> dict[str, Any] | Reply: ...


def _service(context: ContextTypes.DEFAULT_TYPE) -> WorkService:
    return deps(context).service  # type: ignore[return-value]


def _language(context: ContextTypes.DEFAULT_TYPE) -> str:
    return deps(context).language


async def checklist_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/checklist`` shows the list; ``/checklist add TEXT`` adds an item of our own."""
    message, chat, member = update.message, update.effective_chat, sender_ref(update)
    if message is None or chat is None or member is None:
        return
    parts = (message.text or "").split(maxsplit=2)
    if len(parts) == 1:
        event: ev.Work = ev.ShowChecklist()
    elif parts[1].lower() == "add":
        event = ev.AddItem(parts[2] if len(parts) > 2 else "")
    else:
        await _send_text(context, chat.id, t("check.usage", _language(context)))
        return
    reply = await _service(context).handle(chat_ref(chat), member, event)
    await _send_reply(context, chat, reply)


async def tasks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:
        return
    reply = await _service(context).handle(chat_ref(chat), member, ev.ShowTasks())
    await _send_reply(context, chat, reply)


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The finished plan as a formatted message and as a one-page PDF."""
    chat = update.effective_chat
    if chat is None:
        return
    lang = _language(context)
    doc = await _service(context).agreement(chat_ref(chat))
    if isinstance(doc, Reply):  # no plan, or not finished: the service says what to do
        await _send_text(context, chat.id, doc.text)
        return
    for chunk in html_chunks(markdown_to_html(markdown(doc, lang))):

        async def send(chunk: str = chunk) -> Message:
            return await context.bot.send_message(
                chat.id,
                chunk,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        if await deliver(context, chat.id, "sendMessage", send) is None:
            return  # the chat blocked us
    pdf = await asyncio.to_thread(agreement_pdf, doc, lang)  # CPU work off the event loop
    await deliver(
        context,
        chat.id,
        "sendDocument",
        lambda: context.bot.send_document(
            chat.id, pdf, filename=PDF_NAME, caption=t("export.title", lang)
        ),
    )


async def work_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a checklist or board button. Always answers the query."""
    query = update.callback_query
    if query is None:
        return
    lang = _language(context)
    toast: str | None = None
    answered = False
    try:
        chat, user = update.effective_chat, update.effective_user
        button = decode(query.data)
        if chat is None or user is None or query.message is None or button is None:
            logger.warning(
                "Refused work button %r from user %s in chat %s",
                (query.data or "")[:80],
                user.id if user else None,
                chat.id if chat else None,
            )
            toast = t("ui.bad_button", lang)
            return
        service = _service(context)
        member = member_ref(user)
        reply = await service.handle(
            chat_ref(chat), member, to_event(button), plan_id=button.plan_id
        )
        if reply.kind in (CHECKLIST, BOARD):
            await answer_query(query)
            answered = True
            await _show_in_place(context, chat, query.message, reply)
            return
        if reply.plan_id != button.plan_id:
            # Another plan's button (an older plan of this chat, or one copied from another
            # chat), no plan any more, or a lost race: nothing changed; say why.
            if reply.kind == STALE:
                logger.warning(
                    "Refused work button for plan %s from user %s in chat %s (chat's plan: %s)",
                    button.plan_id,
                    user.id,
                    chat.id,
                    reply.plan_id,
                )
            toast = reply.text or t("ui.stale_button", lang)
            return
        # Our plan, but the message shows an older state (the list changed, someone took the
        # task first): say so, and redraw the message as things are now.
        toast = (reply.notes[0] if reply.notes else reply.text) or t("ui.stale_button", lang)
        await answer_query(query, toast)
        answered = True
        current = reply
        if reply.page is None or not reply.options:
            show: ev.Work = (
                ev.ShowChecklist(button.page) if button.checklist else ev.ShowTasks(button.page)
            )
            current = await service.handle(chat_ref(chat), member, show, plan_id=button.plan_id)
        if current.kind in (CHECKLIST, BOARD, STALE) and current.page is not None:
            await _show_in_place(context, chat, query.message, current)
    finally:
        if not answered:  # also when something above raised: never leave a tap unanswered
            await answer_query(query, toast)


# --- sending ---------------------------------------------------------------------------------


async def _send_reply(context: ContextTypes.DEFAULT_TYPE, chat: Chat, reply: Reply) -> None:
    lang = _language(context)
    if reply.kind in (CHECKLIST, BOARD):
        text, markup = view_text(reply, lang), view_keyboard(reply, lang)
        sent = await deliver(
            context,
            chat.id,
            "sendMessage",
            lambda: context.bot.send_message(chat.id, text, reply_markup=markup),
        )
        if sent is not None:
            _drawn(context, sent.message_id, reply.version)
        return
    # A notice, or refused input (too long, duplicate, no plan yet): says what to do.
    await _send_text(context, chat.id, "\n\n".join(p for p in (reply.text, *reply.notes) if p))


async def _send_text(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    await deliver(
        context, chat_id, "sendMessage", lambda: context.bot.send_message(chat_id, text or "…")
    )


async def _show_in_place(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, tapped: Any, reply: Reply
) -> None:
    """Redraw the tapped message with ``reply``; a new message when it cannot be edited."""
    lang = _language(context)
    text, markup = view_text(reply, lang), view_keyboard(reply, lang)
    message = tapped if isinstance(tapped, Message) else None  # None: too old to edit
    if message is not None:
        if not _drawn(context, message.message_id, reply.version):
            # Two taps at once: the other one already drew a newer state on this message.
            return
        try:
            if message.text == text:  # only ticks or pages moved: the buttons are enough
                await deliver(
                    context,
                    chat.id,
                    "editMessageReplyMarkup",
                    lambda: message.edit_reply_markup(reply_markup=markup),
                )
            else:
                await deliver(
                    context,
                    chat.id,
                    "editMessageText",
                    lambda: message.edit_text(text, reply_markup=markup),
                )
            return
        except BadRequest as exc:  # e.g. older than 48 hours or deleted: send it anew
            logger.info("Could not edit message %s in chat %s: %s", message.id, chat.id, exc)
    sent = await deliver(
        context,
        chat.id,
        "sendMessage",
        lambda: context.bot.send_message(chat.id, text, reply_markup=markup),
    )
    if sent is not None:
        _drawn(context, sent.message_id, reply.version)


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

COMMANDS = {"checklist": checklist_command, "tasks": tasks_command, "export": export_command}


class _WorkButtons(CallbackQueryHandler[Any, None]):
    """Only taps whose data matches ``pattern``. PTB hands a tap without data (or with empty
    data) to every pattern handler; such taps are left to the adapter's own button handler."""

    def check_update(self, update: object) -> bool | object | None:
        if isinstance(update, Update) and update.callback_query and not update.callback_query.data:
            return None
        return super().check_update(update)


HANDLERS: tuple[BaseHandler[Update, Any, Any], ...] = (
    *(CommandHandler(name, callback, filters=_NEW) for name, callback in COMMANDS.items()),
    _WorkButtons(work_button, pattern=PATTERN),
)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the work handlers to group 0, ahead of the adapter's catch-alls there (unknown
    commands, question buttons), since the first matching handler of a group wins."""
    for handler in reversed(HANDLERS):
        application.add_handler(handler, group=0)
        handlers = application.handlers[0]
        handlers.remove(handler)
        handlers.insert(0, handler)
