"""The buttons under a result: [Checklist] [Tasks] [Agreement] lead on, [Why this?] shows the
reasoning the short first message leaves out."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram import work
from bot.telegram.callback_data import decode_result
from bot.telegram.deps import deps
from bot.telegram.language import update_language
from bot.telegram.messages import send
from bot.telegram.refs import chat_ref, member_ref
from bot.telegram.render import Rendered, split_text
from bot.telegram.taps import AnswerOnce, log_foreign, tap_of
from flows import events as ev
from flows.reply import RESULT
from flows.texts import t


async def result_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    lang = update_language(update, context)
    async with AnswerOnce(query, context) as tap:
        parts = tap_of(update, query, "result button", decode_result(query.data))
        if parts is None:
            tap.toast = t("ui.bad_button", lang)
            return
        chat, user, _, button = parts
        service, where, member = deps(context).service, chat_ref(chat), member_ref(user)
        if button.what == "agreement":
            await tap.answer()
            await work.send_agreement(context, chat, member)
            return
        event: ev.Event = {"checklist": ev.ShowChecklist(), "tasks": ev.ShowTasks()}.get(
            button.what, ev.Summary()
        )
        reply = await service.handle(where, member, event, plan_id=button.plan_id)
        if reply.plan_id != button.plan_id:  # an older plan's result, or another chat's
            log_foreign("result button", button.plan_id, user, chat, reply.plan_id)
            tap.toast = reply.text or t("ui.stale_button", reply.language or lang)
            return
        await tap.answer()
        if button.what == "why":
            details = reply.details if reply.kind == RESULT and reply.details else reply.text
            await send(context, chat.id, Rendered(split_text(details or "…")))
            return
        await work.show_view(context, chat, reply)
