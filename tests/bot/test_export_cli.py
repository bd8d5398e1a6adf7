"""``partnerbot export`` as a user runs it: a finished plan as Markdown, PDF or JSON."""

from __future__ import annotations

import asyncio
import getpass
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pypdf
import pytest

from bot.console import console_chat
from flows import events as ev
from flows import reply as kinds
from flows.conversation import apply, new_plan
from flows.export import schema
from flows.model import DONE, MemberRef, Plan, TaskRecord
from flows.service import PlanningService
from flows.texts import t
from storage.db import default_sqlite_url
from storage.store import SqlStore
from tests.flows.scenarios import EVENT, EVENT_WITH_SPONSOR

REPO = Path(__file__).resolve().parents[2]
PARTNER = "Äänekoski Åsa Öberg"
ANNA = MemberRef("101", "Anna")
LUKASZ = MemberRef("102", "Łukasz")
CLUB = "Green Club"
ORG = "Vihreä Klubi ry"
CONTACT = "Anna Virtanen, chair, anna@vihrea.example"


def validate(doc: dict[str, object]) -> None:
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(
        doc
    )


def partnerbot(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERBOT_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin.encode(),
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    assert done.returncode == 2, done
    assert b"Traceback" not in done.stderr
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("partnerbot: ")
    return lines[0]


async def _play(db: Path, name: str, answers: dict[str, str], finish: bool) -> None:
    """Type ``answers`` through the service, as the console would, two members taking turns."""
    store = await SqlStore.open(default_sqlite_url(db))
    try:
        service = PlanningService(store)
        chat = console_chat(name)
        reply = await service.handle(chat, ANNA, ev.Start())
        for turn in range(100):
            if reply.kind == kinds.RESULT:
                return
            member = LUKASZ if turn % 3 == 1 else ANNA
            if reply.kind == kinds.REVIEW:
                if not finish:
                    return
                event: ev.Event = ev.Finish()
            elif reply.question in answers:
                event = ev.Text(answers[reply.question])
            else:
                event = ev.Skip(reply.question)
            reply = await service.handle(chat, member, event)
            assert reply.kind not in (kinds.INVALID, kinds.STALE, kinds.CONFLICT), reply.text
            if reply.kind == kinds.RESULT:
                await _after(service, name)
                return
            if not finish and reply.question == "partner_name":
                return
        raise AssertionError("the conversation did not end")
    finally:
        await store.close()


async def _after(service: PlanningService, name: str) -> None:
    """After planning: both parties named, a contact given, one task taken and done."""
    chat = console_chat(name)
    for event in (ev.Setup("name", ORG), ev.Setup("contact", CONTACT)):
        assert (await service.handle(chat, ANNA, event)).changed
    async with service.store.session(chat) as session:
        plan = await session.current_plan()
        assert plan is not None and plan.id is not None
        ours = next(task for task in await session.tasks(plan.id) if task.owner == "us")
    await service.handle(chat, LUKASZ, ev.ClaimTask(ours.key))
    await service.handle(chat, LUKASZ, ev.TickTask(ours.key, True))


async def _stored(db: Path, name: str) -> tuple[Plan, list[TaskRecord]]:
    store = await SqlStore.open(default_sqlite_url(db))
    try:
        async with store.session(console_chat(name)) as session:
            plan = await session.current_plan()
            assert plan is not None and plan.id is not None
            return plan, await session.tasks(plan.id)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with a finished plan (CLUB), an unfinished one ("Choir")."""
    db = tmp_path_factory.mktemp("export") / "plans.db"
    answers = {**EVENT_WITH_SPONSOR, "partner_name": PARTNER}
    asyncio.run(_play(db, CLUB, answers, finish=True))
    asyncio.run(_play(db, "Choir", EVENT, finish=False))
    return db


def test_json_export_is_the_stored_plan(tmp_path: Path, planned: Path) -> None:
    out = tmp_path / "plan.json"
    done = partnerbot(
        tmp_path, "export", "--db", str(planned), "--association", CLUB, "--format", "json",
        "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert PARTNER.encode() in raw  # UTF-8, not \u escapes
    doc = json.loads(raw.decode("utf-8"))
    validate(doc)
    plan, tasks = asyncio.run(_stored(planned, CLUB))
    assert plan.status == DONE
    assert (doc["schema_version"], doc["language"]) == (1, "en")
    assert doc["form"]["key"] == plan.meta["result"]["form"]
    assert doc["form"]["combined_with"] == plan.meta["result"]["combined_with"]
    assert doc["parties"]["partner"]["name"] == plan.answers["partner_name"] == PARTNER
    assert doc["parties"]["us"] == {"name": ORG, "contacts": [CONTACT]}
    assert doc["plan_id"] == plan.id
    stored = {(x.key, x.owner, x.claimed_by, x.done_by, x.done_at) for x in tasks}
    exported = {
        (x["key"], x["owner"], x["member"], x["done_by"], x["done_at"]) for x in doc["tasks"]
    }
    assert exported == stored and len(doc["tasks"]) == len(tasks)
    done_tasks = [x for x in doc["tasks"] if x["status"] == "done"]
    assert [x["done_by"] for x in done_tasks] == ["Łukasz"] and done_tasks[0]["done_at"]
    assert doc["purpose"]["success_measure"] == plan.answers["success_measure"]
    assert doc["money"]["arrangement"] == plan.answers["money"]  # a key, not a label
    assert raw.decode().startswith('{\n  "schema_version": 1,')  # indented


def test_markdown_to_standard_output(tmp_path: Path, planned: Path) -> None:
    done = partnerbot(tmp_path, "export", "--db", str(planned), "--association", CLUB, "-o", "-")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert text.startswith(f"# {t('export.title')}\n")
    assert t("export.parties", association=ORG, partner=PARTNER) in text
    assert CONTACT in text and "| Łukasz |" in text
    assert done.stderr == b""


def test_pdf_export_reads_back(tmp_path: Path, planned: Path) -> None:
    out = tmp_path / "partnership-plan.pdf"  # the format follows the name
    done = partnerbot(
        tmp_path, "export", "--db", str(planned), "--association", CLUB, "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout.decode()
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    plan, tasks = asyncio.run(_stored(planned, CLUB))
    result = plan.meta["result"]
    assert t(f"form.{result['form']}.name").lower() in text
    assert t(f"form.{result['combined_with']}.name").lower() in text
    assert PARTNER in text and ORG in text and "Łukasz" in text
    for task in tasks:
        assert t(f"task.{task.key}") in text, task.key


def test_a_plan_played_in_the_console_exports(tmp_path: Path) -> None:
    """The whole way a user goes: ``partnerbot chat`` from a script, then ``export``."""
    db = tmp_path / "console.db"
    answers = {**EVENT, "partner_name": PARTNER}
    lines = [*_typed_lines(answers), "/setup name Łukasz's club ry", f"/setup contact {CONTACT}"]
    chat = partnerbot(tmp_path, "chat", "--db", str(db), "--association", "Łukasz's club",
                      stdin="\n".join(lines) + "\n")  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    done = partnerbot(
        tmp_path, "export", "--db", str(db), "--association", "Łukasz's club", "--format", "md"
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert t("export.parties", association="Łukasz's club ry", partner=PARTNER) in text
    assert t("agreement.form", form=t("form.event.name").lower()) in text
    assert CONTACT in text
    assert getpass.getuser() not in text.split("## ")[2]  # no login name among the parties


def _typed_lines(answers: dict[str, str]) -> list[str]:
    """What a member types into the console for ``answers``: the same path the domain takes."""
    plan = new_plan()
    plan.id = 1
    reply = apply(plan, ANNA, ev.Start()).reply
    lines: list[str] = []
    for _ in range(100):
        if reply.kind == kinds.RESULT:
            return lines
        if reply.kind == kinds.REVIEW:
            lines.append("1")  # the first option of the review: show the result
            event: ev.Event = ev.Finish()
        elif reply.question in answers:
            lines.append(answers[reply.question])
            event = ev.Text(answers[reply.question])
        else:
            lines.append("/skip")
            event = ev.Skip(reply.question)
        outcome = apply(plan, ANNA, event)
        plan, reply = outcome.plan, outcome.reply
    raise AssertionError("the conversation did not end")


# --- refusals --------------------------------------------------------------------------------


def test_an_unfinished_plan_is_refused(tmp_path: Path, planned: Path) -> None:
    out = tmp_path / "plan.md"
    done = partnerbot(
        tmp_path, "export", "--db", str(planned), "--association", "Choir", "-o", str(out)
    )
    assert "'Choir' is not finished yet" in one_line_error(done)
    assert "partnerbot chat --association Choir" in done.stderr.decode()
    assert not out.exists()
    assert done.stdout == b""


def test_an_association_without_a_plan_is_refused(tmp_path: Path, planned: Path) -> None:
    done = partnerbot(tmp_path, "export", "--db", str(planned), "--association", "Nobody")
    assert "'Nobody' has no plan" in one_line_error(done)


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "typo.db"
    done = partnerbot(tmp_path, "export", "--db", str(db), "--association", CLUB)
    assert f"no database at {db}" in one_line_error(done)
    assert not db.exists()


@pytest.mark.parametrize("where", ["missing/plan.json", "."])
def test_an_unwritable_file_is_refused(tmp_path: Path, planned: Path, where: str) -> None:
    out = tmp_path / where
    done = partnerbot(
        tmp_path, "export", "--db", str(planned), "--association", CLUB, "--format", "json",
        "-o", str(out),
    )  # fmt: skip
    assert f"cannot write {out}" in one_line_error(done)
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_help_names_the_formats(tmp_path: Path) -> None:
    done = partnerbot(tmp_path, "--help")
    assert b"export" in done.stdout
    done = partnerbot(tmp_path, "export", "--help")
    assert done.returncode == 0
    for word in (b"md", b"pdf", b"json", b"--association", b"-o FILE", b"--db"):
        assert word in done.stdout
