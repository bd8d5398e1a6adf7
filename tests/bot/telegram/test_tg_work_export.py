"""/export on Telegram: the agreement draft as a formatted message and as a PDF document."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import pypdf
import pytest
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import RequestData
from test_tg_work import GROUP_ID, finish_plan, in_group, stored
from tg_support import Bot, make_settings

from bot.telegram.app import build_application
from bot.telegram.offline import BOT_USER, OfflineRequest, chat_dict
from bot.telegram.work import pdf_name
from bot.telegram.work_render import html_chunks, markdown_to_html
from flows.model import US
from flows.tasks import is_joint
from flows.texts import t
from tests.flows.scenarios import EVENT, EVENT_WITH_SPONSOR

ORG = "Vihreä Klubi ry"
CONTACT = "Łukasz Nowak, lukasz@vihrea.example, 040 123 4567"
PARTNER = "Äänekoski Åsa Öberg"


class DocumentRequest(OfflineRequest):
    """The offline Bot API, also taking documents (it keeps the uploaded bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[tuple[str, bytes, dict[str, Any]]] = []  # filename, bytes, params

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if url.endswith("/sendDocument") and request_data is not None:
            filename, content, _ = request_data.multipart_data["document"]
            self.documents.append((str(filename), bytes(content), request_data.parameters))
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    def _result(self, api_method: str, params: dict[str, Any]) -> Any:
        if api_method != "sendDocument":
            return super()._result(api_method, params)
        filename, content, _ = self.documents[-1]
        return {
            "message_id": 9000 + len(self.documents),
            "date": 0,
            "chat": chat_dict(int(params["chat_id"])),
            "from": BOT_USER,
            "document": {
                "file_id": f"doc{len(self.documents)}",
                "file_unique_id": f"u{len(self.documents)}",
                "file_name": filename,
                "file_size": len(content),
            },
            "caption": params.get("caption"),
        }


@pytest.fixture
async def doc_bot(store: Any) -> AsyncIterator[Bot]:
    from flows.service import PlanningService

    service = PlanningService(store)
    request = DocumentRequest()
    app = build_application(
        make_settings(), service, request=request, get_updates_request=OfflineRequest()
    )
    await app.initialize()
    made = Bot(app, request, service)
    yield made
    await made.close()


def pdf_lines(content: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) <= 3  # a combined plan with 16 tasks; typical ones take two
    text = "\n".join(page.extract_text() for page in reader.pages)
    return [" ".join(line.split()) for line in text.splitlines()]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html_text: str) -> tuple[list[str], str]:
    parser = _Tags()
    parser.feed(html_text)
    parser.close()
    return parser.tags, "".join(parser.text)


async def test_export_sends_the_agreement_as_a_message_and_a_pdf(doc_bot: Bot, store: Any) -> None:
    request: DocumentRequest = doc_bot.request  # type: ignore[assignment]
    anna = in_group(doc_bot, 5001, "Anna")
    lukasz = in_group(doc_bot, 5002, "Łukasz")
    answers = {**EVENT_WITH_SPONSOR, "partner_name": PARTNER}
    await finish_plan(doc_bot.service, GROUP_ID, [anna, lukasz], answers)
    plan, tasks, _ = await stored(store, GROUP_ID)
    ours = next(task for task in tasks if task.owner == US and not is_joint(task))
    await lukasz.say("/tasks")
    board = lukasz.last()
    row = board["reply_markup"]["inline_keyboard"][tasks.index(ours)]
    await lukasz.tap(board, row[-1]["callback_data"])  # ✋ at the end of the task's row
    await anna.say(f"/setup name {ORG}")
    assert anna.texts()[-1] == t("setup.name_saved", value=ORG)
    await lukasz.say(f"/setup contact {CONTACT}")
    assert lukasz.texts()[-1] == t("setup.contact_saved", value=CONTACT)
    sent_before = len(request.called("sendMessage"))

    await anna.say("/export")

    messages = request.called("sendMessage")[sent_before:]
    assert messages and all(m["parse_mode"] == "HTML" for m in messages)
    assert all(len(m["text"]) <= 4096 for m in messages)
    shown = "\n".join(parse(m["text"])[1] for m in messages)
    assert shown.startswith(t("export.title") + "\n")
    assert t("export.parties", association=ORG, partner=PARTNER) in shown
    assert t("agreement.contact", name=ORG, who=CONTACT) in shown
    result = plan.meta["result"]
    form = t(f"form.{result['form']}.name")
    combined = t(f"form.{result['combined_with']}.name")
    assert t("agreement.form", form=form.lower()) in shown
    about = t(f"form.{result['combined_with']}.combine")
    assert t("agreement.combined", form=combined.lower(), about=about) in shown
    assert "|---" not in shown and "#" not in shown and "**" not in shown  # no raw Markdown
    not_set = t("agreement.not_set")
    assert f"• {t(f'task.{ours.key}')} — {ORG} — Łukasz — {not_set} — open" in shown
    for task in tasks:
        assert f"• {t(f'task.{task.key}')} — " in shown

    assert len(request.documents) == 1
    filename, content, params = request.documents[0]
    assert filename == "partnership-plan.pdf" and content.startswith(b"%PDF")
    assert int(params["chat_id"]) == GROUP_ID
    assert params["caption"] == t("export.title")
    lines = pdf_lines(content)
    text = " ".join(lines)
    assert form.lower() in text and combined.lower() in text
    assert PARTNER in text and ORG in text and CONTACT in text
    for task in tasks:
        assert t(f"task.{task.key}") in text, task.key
    assert "Anna" not in text  # a member's first name is no party and no contact
    assert [c.method for c in request.calls[-1:]] == ["sendDocument"]


async def test_setup_shows_the_parties_and_export_asks_for_our_name(doc_bot: Bot) -> None:
    member = doc_bot.member
    await finish_plan(doc_bot.service, member.chat_id, [member], {**EVENT, "partner_name": PARTNER})
    await member.say("/setup")
    shown = member.texts()[-1]
    assert t("setup.our_name", value=t("setup.unset")) in shown
    assert t("setup.partner_name", value=PARTNER) in shown
    assert t("setup.contact_note") in shown
    await member.say("/setup name")
    assert member.texts()[-1] == t("setup.empty_name")
    await member.say("/export")
    assert t("export.name_missing") in member.texts()
    await member.say("/setup color red")
    assert member.texts()[-1] == t("setup.usage")
    # Asked once: the next typed line is the name, and the next export names it.
    await member.say(ORG)
    assert member.texts()[-1] == t("setup.name_saved", value=ORG)
    await member.say("/export")
    assert t("export.name_missing") not in member.texts()[-1:]
    request: DocumentRequest = doc_bot.request  # type: ignore[assignment]
    assert ORG in " ".join(pdf_lines(request.documents[-1][1]))
    await member.say("more text")  # no longer asked: a finished plan takes no answers
    assert member.texts()[-1] == t("ui.finished")


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("fi", "kumppanuussuunnitelma.pdf"),
        ("uk", "план-партнерства.pdf"),
        ("ar", "خطة-الشراكة.pdf"),
    ],
)
async def test_the_pdf_is_named_in_the_plans_language(
    doc_bot: Bot, language: str, name: str
) -> None:
    request: DocumentRequest = doc_bot.request  # type: ignore[assignment]
    member = doc_bot.member
    await finish_plan(doc_bot.service, member.chat_id, [member], {**EVENT, "partner_name": PARTNER})
    await member.say(f"/language {language}")
    await member.say(f"/setup name {ORG}")
    await member.say("/export")
    filename, content, params = request.documents[-1]
    assert filename == name == pdf_name(language) and content.startswith(b"%PDF")
    assert params["caption"] == t("export.title", language)


async def test_export_says_why_not_before_the_plan_is_finished(doc_bot: Bot) -> None:
    request: DocumentRequest = doc_bot.request  # type: ignore[assignment]
    member = doc_bot.member
    await member.say("/export")
    assert member.texts()[-1] == t("ui.no_plan")
    await member.say("/plan")
    await member.say("/export")
    assert member.texts()[-1] == t("export.not_finished")
    assert request.documents == []
    assert request.called("sendDocument") == []


async def test_member_text_is_escaped_in_the_message(doc_bot: Bot) -> None:
    request: DocumentRequest = doc_bot.request  # type: ignore[assignment]
    member = doc_bot.member
    tricky = "<b>Ä&Ö</b> <script>x</script> & Co"
    answers = {**EVENT_WITH_SPONSOR, "partner_name": tricky}
    await finish_plan(doc_bot.service, member.chat_id, [member], answers)
    await member.say("/export")
    texts = [m["text"] for m in request.called("sendMessage") if m.get("parse_mode") == "HTML"]
    assert texts
    for text in texts:
        tags, _ = parse(text)
        assert set(tags) <= {"b", "/b", "i", "/i"}
        assert tags.count("b") == tags.count("/b") and tags.count("i") == tags.count("/i")
    assert "&lt;b&gt;Ä&amp;Ö&lt;/b&gt; &lt;script&gt;x&lt;/script&gt; &amp; Co" in texts[0]
    assert tricky in parse(texts[0])[1]
    assert tricky in "\n".join(pdf_lines(request.documents[0][1]))


# --- the HTML conversion, on its own ---------------------------------------------------------


def test_markdown_becomes_telegram_html() -> None:
    lines = markdown_to_html(
        "# Title <1>\n\nBetween A & B.\n\n## Tasks\n| Task | Phase | Owner |\n|---|---|---|\n"
        "| Book | Prepare | us (Łukasz) |\n- We give: money\nplain\n"
    )
    assert lines == [
        "<b>Title &lt;1&gt;</b>",
        "",
        "Between A &amp; B.",
        "",
        "<b>Tasks</b>",
        "<i>Task — Phase — Owner</i>",
        "• Book — Prepare — us (Łukasz)",
        "• We give: money",
        "plain",
    ]


def test_long_texts_are_split_between_lines_under_the_limit() -> None:
    source = "\n".join(f"- line {n} " + "é&" * 40 for n in range(200))
    chunks = html_chunks(markdown_to_html(source))
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk.encode("utf-16-le")) // 2 <= 4096
        assert parse(chunk)[1].count("• line") == chunk.count("\n") + 1  # whole lines only
    rejoined = "\n".join(parse(chunk)[1] for chunk in chunks)
    assert rejoined == source.replace("- line", "• line")


def test_an_over_long_line_is_cut_without_breaking_an_entity() -> None:
    line = "x" * 4000 + "&" * 300  # escapes to 4000 + 1500 characters
    chunks = html_chunks(markdown_to_html(line), limit=4096)
    assert len(chunks) == 2
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "".join(parse(chunk)[1] for chunk in chunks) == line
    emoji = html_chunks(["😀" * 3000])  # two UTF-16 units each
    assert [len(chunk) for chunk in emoji] == [2048, 952]
