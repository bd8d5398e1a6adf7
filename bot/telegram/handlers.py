"""One callback per kind of update; the table at the bottom is the table of contents.

Every callback turns an update into one domain event, asks the PlanningService, and shows the
Reply. State lives in the database, not here (no ConversationHandler): any instance can serve
any update, and a restart loses nothing. ``chat_data`` only remembers which messages show
questions, to tidy them up and to tell which question a reply in a group answers; losing that
is cosmetic (a reply is then matched by the question's text, or taken for the current one).

Groups (one group is one association, its plans shared by all members):

- Only messages addressed to the bot are read: commands (also ``/cmd@bot``), replies to its
  messages and @mentions. That is all a bot sees with privacy mode on; with it off, the bot
  still stays out of the members' own conversation.
- Any member may answer. An accepted button answer edits the tapped message into the next
  question, headed "Answered by Anna: …", instead of sending a new message: a bot may send only
  about 20 messages a minute to a group. Text questions need a new message, with a selective
  ``ForceReply`` aimed at the member who asked for it or answered last (by replying to their
  message, or mentioning them after a tap); any member's reply to it is accepted.
- A reply to a question's message answers that question only: if it was answered meanwhile,
  nothing changes and the member is told by whom (never taken as the next question's answer).
- Two members answering at once: the store lets exactly one win; the other is told who.
- /restart and /forget are for the chat's administrators (anonymous ones included).
- A group upgraded to a supergroup keeps its association (``service.chat_moved``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import (
    Chat,
    ChatMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram.callback_data import (
    Action,
    ButtonData,
    ForgetData,
    decode,
    decode_forget,
    encode_forget,
    to_event,
)
from bot.telegram.delivery import answer_query, blocked_chats, deliver
from bot.telegram.refs import (
    chat_ref,
    is_anonymous_admin,
    member_ref,
    old_group_ref,
    sender_ref,
)
from bot.telegram.render import Rendered, answered_text, asked_by, render
from flows.events import Back, Event, Restart, Skip, Start, Summary, Text
from flows.model import ChatRef, MemberRef
from flows.questionnaire import QUESTIONS, REVIEW, SCALE, by_key
from flows.reply import CONFLICT, INVALID, QUESTION, STALE, Reply
from flows.reply import REVIEW as REVIEW_REPLY
from flows.texts import t

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # longer messages are refused before they reach the service
DEPS = "partnerbot"  # bot_data key of the Deps
_QUESTION_MESSAGE = "question_message"  # chat_data key: the message showing the question
_SHOWN = "question_messages"  # chat_data key (groups): message id -> question it shows
_GREETED = "greeted_at"  # chat_data key (groups): when the bot last said hello
_MIGRATED = "migrated_chats"  # bot_data key: old chat ids already moved by this process
_REFUSED = frozenset({STALE, INVALID, CONFLICT})

MAX_SHOWN = 50  # question messages remembered per group
GREETING_INTERVAL = 60.0  # seconds: the two updates Telegram sends for one join greet once
FORGET_TTL = 10 * 60  # seconds a /forget confirmation stays valid
CLOCK_SKEW = 60  # seconds another instance's clock may be ahead of ours
VOTE_ATTEMPTS = 3  # a group vote that lost a race is tried again: votes of members commute
ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})

# Deep-link payloads of /start (t.me/<bot>?start=<payload>), as Telegram allows them.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
DEEP_LINKS = frozenset({"plan", "resume"})


class Service(Protocol):
    async def handle(
        self, chat: ChatRef, member: MemberRef, event: Event, *, plan_id: int | None = None
    ) -> Reply: ...

    async def forget(self, chat: ChatRef) -> Reply: ...

    async def chat_moved(self, chat: ChatRef, new_chat_id: str) -> bool: ...


@dataclass(frozen=True)
class Deps:
    """What the handlers need, kept in ``application.bot_data[DEPS]``."""

    service: Service
    language: str = "en"


def deps(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return context.bot_data[DEPS]  # type: ignore[no-any-return]


# --- commands --------------------------------------------------------------------------------


def start_payload(args: list[str] | None) -> str | None:
    """The deep-link payload of "/start <payload>", or None when there is no valid one."""
    if not args or len(args) != 1 or _PAYLOAD.fullmatch(args[0]) is None:
        return None
    return args[0]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE and context.args:
        payload = start_payload(context.args)
        if payload in DEEP_LINKS:  # "plan" and "resume": straight to the question
            await _run(update, context, Start())
            return
        logger.info("Ignored an unknown deep-link payload in chat %s", chat.id)
    await _say(update, context, "ui.welcome")
    await _run(update, context, Start())


async def plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Start())


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Start())


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Back())


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Skip())


async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _run(update, context, Summary())


async def restart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # In a group a restart throws away what everybody answered: administrators only.
    if not await is_admin(update, context):
        await _say(update, context, "ui.admins_only")
        return
    await _run(update, context, Restart())


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting everything stored for the chat (administrators only in groups)."""
    chat = update.effective_chat
    if chat is None:
        return
    if not await is_admin(update, context):
        await _say(update, context, "ui.admins_only")
        return
    lang = deps(context).language
    issued = int(time.time())
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("ui.forget_yes", lang), callback_data=encode_forget(ForgetData(True, issued))
                ),
                InlineKeyboardButton(
                    t("ui.forget_no", lang), callback_data=encode_forget(ForgetData(False, issued))
                ),
            ]
        ]
    )
    rendered = Rendered((t("ui.forget_confirm", lang),), markup)
    await _send(context, chat.id, rendered, reply_to=_group_message_id(update))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, "ui.help")


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Nothing to stop: the plan waits in the database until the member comes back.
    await _say(update, context, "ui.cancelled")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or not _command_for_us(message, context.bot.username):
        return
    await _say(update, context, "ui.unknown_command")


# --- messages --------------------------------------------------------------------------------


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None or message.text is None or not _addressed_to_us(message, context):
        return
    text = message.text
    question: str | None = None
    if message.chat.type != ChatType.PRIVATE:
        if context.bot.username:
            text = re.sub(re.escape(f"@{context.bot.username}"), "", text, flags=re.I).strip()
        if not text:  # just "@bot": show where the plan stands
            await _run(update, context, Start())
            return
        question = _replied_question(message, context)
    if len(text) > MAX_TEXT:
        await _say(update, context, "ui.too_long", length=len(text), limit=MAX_TEXT)
        return
    await _run(update, context, Text(text, question=question))


async def non_text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and _addressed_to_us(update.message, context):
        await _say(update, context, "ui.non_text")


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Answers are events in order; re-reading an edited old message would rewrite history.
    if update.edited_message is not None and _addressed_to_us(update.edited_message, context):
        await _say(update, context, "ui.edited_ignored")


# --- buttons ---------------------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button. Always answers the query, with a toast when refused."""
    query = update.callback_query
    if query is None:
        return
    lang = deps(context).language
    toast: str | None = None
    answered = False
    try:
        chat, user = update.effective_chat, update.effective_user
        data = decode(query.data)
        if chat is None or user is None or query.message is None or data is None:
            # Garbage, a forged button, or a button of an inline message: never act on it.
            logger.warning(
                "Refused callback data %r from user %s in chat %s",
                (query.data or "")[:80],
                user.id if user else None,
                chat.id if chat else None,
            )
            toast = t("ui.bad_button", lang)
            return
        reply = await _handle_tap(context, chat, user, data)
        if reply.kind in _REFUSED:
            if reply.plan_id != data.plan_id:
                # Another plan's button: an old plan of this chat, or one forged or copied
                # from another chat. Nothing was changed.
                logger.warning(
                    "Refused button for plan %s from user %s in chat %s (chat's plan: %s)",
                    data.plan_id,
                    user.id,
                    chat.id,
                    reply.plan_id,
                )
            # A conflict or a late tap in a group names who answered first.
            toast = reply.text or t("ui.stale_button", lang)
            return
        # Accepted: stop the client's spinner now, then tidy up and show what comes next.
        await answer_query(query)
        answered = True
        await _after_tap(context, chat, user, query.message, data, reply)
    finally:
        if not answered:  # also when something above raised: never leave a tap unanswered
            await answer_query(query, toast)


async def _handle_tap(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, user: User, data: ButtonData
) -> Reply:
    service = deps(context).service
    event = to_event(data)
    reply = await service.handle(chat_ref(chat), member_ref(user), event, plan_id=data.plan_id)
    # A group's votes on a scale commute (one per member), so a vote that lost the race
    # against another member's vote is simply cast again on the fresh plan.
    attempts = 1
    while reply.kind == CONFLICT and _is_vote(chat, data) and attempts < VOTE_ATTEMPTS:
        attempts += 1
        reply = await service.handle(chat_ref(chat), member_ref(user), event, plan_id=data.plan_id)
    return reply


def _is_vote(chat: Chat, data: ButtonData) -> bool:
    return (
        chat.type != ChatType.PRIVATE
        and data.action == Action.ANSWER
        and data.question is not None
        and by_key(data.question).kind == SCALE
    )


async def _after_tap(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    user: User,
    tapped: Any,
    data: ButtonData,
    reply: Reply,
) -> None:
    lang = deps(context).language
    message = tapped if isinstance(tapped, Message) else None  # None: too old to edit
    group = chat.type != ChatType.PRIVATE
    if (
        message is not None
        and data.action in (Action.TOGGLE, Action.ANSWER)
        and reply.kind == QUESTION
        and reply.question == data.question
        and reply.previous_question is None
    ):
        # Still the same question (a box ticked, or a vote in a group): redraw the message
        # instead of adding one per tap.
        rendered = render(reply, lang, group=group)
        markup = rendered.markup if isinstance(rendered.markup, InlineKeyboardMarkup) else None
        if await _edit(context, message, rendered.chunks[-1], markup):
            _remember(context, chat, message.message_id, rendered.chunks[-1], reply)
            return  # else: fall through and send it as a new message
    if group and message is not None and await _advance_in_place(context, chat, message, reply):
        return
    if message is not None:
        # The tapped message is done with: show the answer on it, or just drop its buttons.
        if reply.previous_question is not None and message.text:
            text = answered_text(message.text, reply, group=group, language=lang)
            await _edit(context, message, text, None)
        elif message.reply_markup is not None:
            await _edit(context, message, None, None)
        remembered = context.chat_data.get(_QUESTION_MESSAGE) if context.chat_data else None
        if remembered and remembered["id"] == message.message_id:
            context.chat_data.pop(_QUESTION_MESSAGE, None)  # type: ignore[union-attr]
    await _show(context, chat, reply, tidy=False, mention=user)


async def _advance_in_place(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, message: Message, reply: Reply
) -> bool:
    """In a group, turn the tapped message into the next step ("Answered by …" on top).

    One edit instead of an edit and a new message: half the group's message budget. Not for
    a text question (ForceReply needs a new message), a step too long for one message, or an
    older copy of the question (after /resume): the next step goes where members look.
    """
    if reply.kind not in (QUESTION, REVIEW_REPLY):
        return False
    remembered = context.chat_data.get(_QUESTION_MESSAGE) if context.chat_data else None
    if remembered and remembered["id"] != message.message_id:
        return False
    rendered = render(reply, deps(context).language, group=True)
    if len(rendered.chunks) != 1 or isinstance(rendered.markup, ForceReply):
        return False
    if not await _edit(context, message, rendered.chunks[0], rendered.markup):
        return False
    _remember(context, chat, message.message_id, rendered.chunks[0], reply)
    return True


async def _edit(
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    text: str | None,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    """Edit ``message`` (text None: its buttons only). False when it cannot be edited."""
    try:
        if text is None:
            await deliver(
                context,
                message.chat_id,
                "editMessageReplyMarkup",
                lambda: message.edit_reply_markup(reply_markup=markup),
            )
        else:
            await deliver(
                context,
                message.chat_id,
                "editMessageText",
                lambda: message.edit_text(text, reply_markup=markup),
            )
    except BadRequest as exc:  # e.g. older than 48 hours or deleted: cosmetic, carry on
        logger.info("Could not edit message %s in chat %s: %s", message.id, message.chat_id, exc)
        return False
    return True


# --- administrators ----------------------------------------------------------------------


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender of ``update`` administers its chat (always so in a private chat).

    Asks Telegram (getChatMember) once per call; an anonymous administrator's message is sent
    on behalf of the group itself, which needs no asking.
    """
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if is_anonymous_admin(update.message):
        return True
    user = update.effective_user
    if user is None or (update.message is not None and update.message.sender_chat is not None):
        return False  # e.g. a member writing as their channel
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        logger.warning("Could not check user %s in chat %s: %s", user.id, chat.id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Delete everything" and "Keep" buttons under /forget; administrators only."""
    query = update.callback_query
    if query is None:
        return
    if decode_forget(query.data) is None:
        # PTB hands taps without data to every pattern handler: the question buttons'
        # handler refuses them (and logs them).
        await button(update, context)
        return
    lang = deps(context).language
    toast: str | None = None
    answered = False
    try:
        chat, data, message = update.effective_chat, decode_forget(query.data), query.message
        if chat is None or data is None or not isinstance(message, Message):
            toast = t("ui.bad_button", lang)
            return
        if not await is_admin(update, context):
            toast = t("ui.admins_only", lang)
            return
        if not -CLOCK_SKEW <= time.time() - data.issued <= FORGET_TTL:
            toast = t("ui.forget_expired", lang)
            await _edit(context, message, None, None)
            return
        if data.confirm:
            reply = await deps(context).service.forget(chat_ref(chat))
            if context.chat_data is not None:
                context.chat_data.pop(_QUESTION_MESSAGE, None)
                context.chat_data.pop(_SHOWN, None)
            logger.info("Chat %s: everything stored for it was deleted on request", chat.id)
            text = reply.text
        else:
            text = t("ui.forget_kept", lang)
        await answer_query(query)
        answered = True
        await _edit(context, message, text, None)
    finally:
        if not answered:
            await answer_query(query, toast)


# --- membership, migration and errors ---------------------------------------------------------


async def note_reachable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first for every update: a chat that writes to us can be written to again."""
    chat = update.effective_chat
    if chat is not None and (update.message or update.callback_query or update.edited_message):
        blocked_chats(context.application).discard(chat.id)


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat_id = change.chat.id
    new, old = change.new_chat_member.status, change.old_chat_member.status
    if new in (ChatMember.BANNED, ChatMember.LEFT):
        blocked_chats(context.application).add(chat_id)
        logger.info("Chat %s blocked or removed the bot; its plan is kept", chat_id)
        return
    blocked_chats(context.application).discard(chat_id)
    joined = old in (ChatMember.LEFT, ChatMember.BANNED)
    if joined and new in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        await _greet(context, change.chat)


async def members_joined(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The service message "… added Partnerbot": the other sign of being added to a group."""
    message = update.message
    if message is not None and any(u.id == context.bot.id for u in message.new_chat_members):
        await _greet(context, message.chat)


async def _greet(context: ContextTypes.DEFAULT_TYPE, chat: Chat) -> None:
    """One short hello when added to a group (Telegram reports a join twice: greet once)."""
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP) or context.chat_data is None:
        return
    now = time.time()
    if now - context.chat_data.get(_GREETED, 0.0) < GREETING_INTERVAL:
        return
    context.chat_data[_GREETED] = now  # before awaiting: a concurrent duplicate sees it
    logger.info("Added to group %s", chat.id)
    await _send(context, chat.id, Rendered((t("ui.group_welcome", deps(context).language),)))


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (new chat id): its association, plans and answers move.

    Telegram says so twice, in the old chat (migrate_to_chat_id) and in the new one
    (migrate_from_chat_id); either may come first, and the move happens once. Moving twice is
    harmless too (another instance, a restart): the second finds nothing left to move.
    """
    message = update.message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old_id, new_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old_id, new_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    moved_here: set[int] = context.bot_data.setdefault(_MIGRATED, set())
    if old_id in moved_here:
        return
    moved_here.add(old_id)  # before awaiting: the other message may be handled meanwhile
    app = context.application
    app.drop_chat_data(old_id)  # message ids of the old chat mean nothing in the new one
    app.chat_data[new_id][_GREETED] = time.time()  # the bot was not added: no hello
    blocked_chats(app).discard(old_id)
    try:
        moved = await deps(context).service.chat_moved(
            old_group_ref(old_id, message.chat.title), str(new_id)
        )
    except BaseException:
        moved_here.discard(old_id)  # let the other message (or a redelivery) try again
        raise
    logger.info("Group %s became supergroup %s (association moved: %s)", old_id, new_id, moved)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log, and tell the member their answers are safe. Every event is one transaction, so an
    error after the service returned has already stored the answer; one before stored nothing.
    """
    chat = update.effective_chat if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error(
        "Error handling update %s in chat %s",
        update_id,
        chat.id if chat else None,
        exc_info=context.error,
    )
    if chat is None:
        return
    text = t("ui.error", deps(context).language)
    try:
        await deliver(
            context, chat.id, "error notice", lambda: context.bot.send_message(chat.id, text)
        )
    except TelegramError as exc:
        logger.warning("Could not tell chat %s about the error: %s", chat.id, exc)


# --- helpers ---------------------------------------------------------------------------------


async def _run(update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
    chat, member = update.effective_chat, sender_ref(update)
    if chat is None or member is None:  # e.g. an anonymous channel post: nobody to plan with
        return
    reply = await deps(context).service.handle(chat_ref(chat), member, event)
    await _show(context, chat, reply, tidy=True, reply_to=_group_message_id(update))


async def _show(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    reply: Reply,
    *,
    tidy: bool,
    reply_to: int | None = None,
    mention: User | None = None,
) -> None:
    """Send ``reply``; with ``tidy``, first mark the question it answers as answered.

    In a group the message replies to ``reply_to`` (the member's message), or else mentions
    ``mention``, so that a selective ForceReply opens the reply field for that member.
    """
    lang = deps(context).language
    group = chat.type != ChatType.PRIVATE
    chat_data = context.chat_data if context.chat_data is not None else {}
    if tidy and reply.previous_question is not None and reply.kind not in _REFUSED:
        remembered = chat_data.pop(_QUESTION_MESSAGE, None)
        if (
            remembered
            and remembered["question"] == reply.previous_question
            and remembered.get("buttons", True)  # a ForceReply question has none to remove
        ):
            await _tidy_answered(context, chat, remembered, reply)
    rendered = render(reply, lang, group=group)
    entities: list[MessageEntity] | None = None
    if group and isinstance(rendered.markup, ForceReply) and reply_to is None and mention:
        if rendered.name_span is None:
            rendered = asked_by(rendered, member_ref(mention).name, lang)
        if rendered.name_span is not None:
            entities = [_mention(rendered.chunks[0], rendered.name_span, mention)]
    sent = await _send(context, chat.id, rendered, reply_to=reply_to, entities=entities)
    if sent is not None and reply.kind in (QUESTION, REVIEW_REPLY):
        _remember(context, chat, sent.message_id, sent.text or rendered.chunks[-1], reply)


def _remember(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, message_id: int, text: str, reply: Reply
) -> None:
    """Note that ``message_id`` now shows ``reply``'s question."""
    if context.chat_data is None:
        return
    rendered_buttons = reply.kind == REVIEW_REPLY or reply.question_kind != "text"
    buttons = rendered_buttons or chat.type == ChatType.PRIVATE
    context.chat_data[_QUESTION_MESSAGE] = {
        "id": message_id,
        "text": text,
        "question": reply.question,
        "buttons": buttons,
    }
    if chat.type != ChatType.PRIVATE and reply.question:
        shown: dict[int, str] = context.chat_data.setdefault(_SHOWN, {})
        shown.pop(message_id, None)  # re-insert: the newest last
        shown[message_id] = reply.question
        while len(shown) > MAX_SHOWN:
            del shown[next(iter(shown))]


def _replied_question(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The question shown by the bot's message that ``message`` replies to, if known."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    shown = context.chat_data.get(_SHOWN, {}) if context.chat_data is not None else {}
    if replied.message_id in shown:
        return shown[replied.message_id]  # type: ignore[no-any-return]
    # Not shown by this process (restarted, or another instance): recognise the question by
    # its text. None when there is no single match: then the line goes to the current one.
    return question_in(replied.text or "", deps(context).language)


def question_in(text: str, language: str) -> str | None:
    """The one question (or the review) whose text ``text`` shows, else None."""
    found = [q.key for q in QUESTIONS if t(f"q.{q.key}.text", language) in text]
    if t("ui.review", language) in text:
        found.append(REVIEW)
    return found[0] if len(found) == 1 else None


def _mention(text: str, span: tuple[int, int], user: User) -> MessageEntity:
    """A mention of ``user`` over ``span`` of ``text`` (Telegram counts UTF-16 code units)."""
    offset, length = span

    def units(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    return MessageEntity(
        MessageEntity.TEXT_MENTION,
        offset=units(text[:offset]),
        length=units(text[offset : offset + length]),
        user=user,
    )


async def _tidy_answered(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, remembered: dict[str, Any], reply: Reply
) -> None:
    lang = deps(context).language
    group = chat.type != ChatType.PRIVATE
    text = answered_text(remembered["text"], reply, group=group, language=lang)
    try:
        await deliver(
            context,
            chat.id,
            "editMessageText",
            lambda: context.bot.edit_message_text(
                text, chat_id=chat.id, message_id=remembered["id"]
            ),
        )
    except BadRequest as exc:
        logger.info(
            "Could not mark message %s in chat %s answered: %s", remembered["id"], chat.id, exc
        )


async def _send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    rendered: Rendered,
    *,
    reply_to: int | None = None,
    entities: list[MessageEntity] | None = None,
) -> Message | None:
    """Send every chunk; the keyboard goes under the last. Returns the last message sent.

    ``reply_to``: the first chunk replies to that message (and the last too, when it carries
    a ForceReply, which reaches the member replied to). ``entities`` belong to the first chunk.
    """
    last: Message | None = None
    count = len(rendered.chunks)
    for number, chunk in enumerate(rendered.chunks, start=1):
        markup = rendered.markup if number == count else None
        options: dict[str, Any] = {}
        if reply_to is not None and (number == 1 or isinstance(markup, ForceReply)):
            options["reply_parameters"] = ReplyParameters(
                reply_to, allow_sending_without_reply=True
            )
        if entities and number == 1:
            options["entities"] = entities

        async def call(chunk: str = chunk, markup: Any = markup, options: Any = options) -> Message:
            return await context.bot.send_message(chat_id, chunk, reply_markup=markup, **options)

        last = await deliver(context, chat_id, "sendMessage", call)
        if last is None:  # the chat blocked us: the rest would be refused as well
            return None
    return last


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **params: Any) -> None:
    """Send one interface text (``ui.*``) to the chat of ``update`` (in a group, as a reply)."""
    chat = update.effective_chat
    if chat is None:
        return
    rendered = Rendered((t(key, deps(context).language, **params),))
    await _send(context, chat.id, rendered, reply_to=_group_message_id(update))


def _group_message_id(update: Update) -> int | None:
    """In a group, the member's message to reply to; None in private chats."""
    message = update.message
    if message is None or message.chat.type == ChatType.PRIVATE:
        return None
    return message.message_id


def _addressed_to_us(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if message.chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    ):
        return True
    username = context.bot.username
    text = message.text or message.caption or ""
    return bool(username) and f"@{username}".lower() in text.lower()


def _command_for_us(message: Message, username: str | None) -> bool:
    """In groups, only "/cmd@ourbot" is surely ours; "/cmd" may be for another bot."""
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, target = command.partition("@")
    if target:
        return bool(username) and target.lower() == username.lower()
    return message.chat.type == ChatType.PRIVATE


# --- the handler table -----------------------------------------------------------------------

# Commands only on new messages: an edited "/plan" must not run again (edits are refused).
_NEW = filters.UpdateType.MESSAGE

COMMANDS = {
    "start": start,
    "plan": plan,
    "resume": resume,
    "back": back,
    "skip": skip,
    "summary": summary,
    "restart": restart,
    "help": help_command,
    "cancel": cancel,
    "forget": forget,
}

# (group, handler). Group -1 runs before the others for every update; within group 0 the
# first matching handler wins, so the order below matters (commands before the catch-alls).
HANDLERS: tuple[tuple[int, BaseHandler[Update, Any, Any]], ...] = (
    (-1, TypeHandler(Update, note_reachable)),
    *((0, CommandHandler(name, callback, filters=_NEW)) for name, callback in COMMANDS.items()),
    (0, MessageHandler(_NEW & filters.StatusUpdate.MIGRATE, chat_migrated)),
    (0, MessageHandler(_NEW & filters.StatusUpdate.NEW_CHAT_MEMBERS, members_joined)),
    (0, MessageHandler(_NEW & filters.COMMAND, unknown_command)),
    (0, MessageHandler(_NEW & filters.TEXT, text_message)),
    (0, MessageHandler(_NEW & ~filters.StatusUpdate.ALL, non_text_message)),
    (0, MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message)),
    (0, CallbackQueryHandler(forget_button, pattern=lambda data: decode_forget(data) is not None)),
    (0, CallbackQueryHandler(button)),
    (0, ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER)),
)
