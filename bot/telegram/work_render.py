"""Checklist, task board and agreement → Telegram messages.

A checklist reply becomes one message with a small numbered button per item (☐ 3 / ☑ 3; the
text gives the items in full), a board one row per task (☐ and its short name, then ✋ to take
it), and ◀ ▶ for the pages. The agreement's Markdown becomes Telegram HTML, packed into
messages whole lines at a time.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.render import MAX_MESSAGE, button_label, clip, utf16_len
from bot.telegram.work_callback_data import PICKS, Op, WorkButton, encode
from flows.reply import BOARD, STALE, Option, Reply
from flows.texts import t
from flows.workboard import CLAIM, DUE, PICK, TICK

logger = logging.getLogger(__name__)

UNTICKED, TICKED = "☐", "☑"
ITEMS_PER_ROW = 4  # numbered checklist buttons ("☐ 12") side by side


# --- checklist and task board ----------------------------------------------------------------


def view_text(reply: Reply, language: str) -> str:
    """The message of a checklist or board reply (a stale reply's note goes in a toast)."""
    parts = [reply.text] if reply.text else []
    if reply.notes and reply.kind != STALE:
        parts.append("\n".join(reply.notes))
    if reply.page is not None and reply.page[1] > 1:
        page, pages = reply.page
        parts.append(t("ui.page", language, page=page + 1, pages=pages))
    return clip("\n\n".join(parts) or "…", MAX_MESSAGE)


def view_keyboard(reply: Reply, language: str) -> InlineKeyboardMarkup | None:
    """The buttons of a checklist or board reply: one per item or task, then ◀ ▶."""
    if reply.plan_id is None:
        return None
    plan_id = reply.plan_id
    page, pages = reply.page or (0, 1)
    board = any(o.key.startswith((TICK, CLAIM, PICK)) for o in reply.options) or reply.kind == BOARD
    by_pick = {pick: op for op, pick in PICKS.items()}

    def button(
        label: str, op: Op, key: str | None = None, done: bool | None = None, to: int = page
    ) -> InlineKeyboardButton:
        data = encode(WorkButton(op, plan_id, to, key, done))
        return InlineKeyboardButton(button_label(label), callback_data=data)

    rows: list[list[InlineKeyboardButton]] = []
    items: list[InlineKeyboardButton] = []
    for option in reply.options:
        try:
            if board and option.key.startswith(TICK):
                rows.append([_tick(button, option, Op.TASK, option.key[len(TICK) :])])
            elif board and option.key.startswith(CLAIM) and rows:
                # ✋ beside its task: one row per task.
                rows[-1].append(button(option.label, Op.CLAIM, option.key[len(CLAIM) :]))
            elif board and option.key.startswith(DUE) and rows:  # 📅 beside its task
                rows[-1].append(button(option.label, Op.DUE, option.key[len(DUE) :]))
            elif board and option.key.startswith(PICK):  # a due-date choice: a row each
                key, _, pick = option.key[len(PICK) :].partition(":")
                rows.append([button(option.label, by_pick[pick], key)])
            elif not board:
                items.append(_tick(button, option, Op.ITEM, option.key))
        except ValueError:  # a key the callback data cannot carry: leave the button out
            logger.warning("No work button for option %r of plan %s", option.key, plan_id)
    for start in range(0, len(items), ITEMS_PER_ROW):
        rows.append(items[start : start + ITEMS_PER_ROW])
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


# --- the agreement as a Telegram message -----------------------------------------------------


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
        heading = re.match(r"#{1,6} +(.*)", line) or re.fullmatch(r"\*\*(.+)\*\*", line)
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
        pieces = [line] if utf16_len(line) <= limit else _cut(line, limit)
        for piece in pieces:
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current).strip("\n"))
                current, size = [], 0
                extra = utf16_len(piece)
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
        if size + utf16_len(escaped) > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(escaped)
        size += utf16_len(escaped)
    if current:
        pieces.append("".join(current))
    return pieces
