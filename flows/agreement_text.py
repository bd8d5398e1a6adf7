"""The agreement data in words: the sections every readable format is drawn from.

Markdown (``markdown``) and the PDF (``bot.pdf``) both lay out these sections, so they hold
the same facts. Texts come from the locale files in the plan's own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.model import PARTNER, TOGETHER, US
from flows.questionnaire import by_key
from flows.render import answer_text
from flows.texts import format_day, has, join, t

TEXT = "text"  # a paragraph
ITEM = "item"  # a bullet point
TODO = "todo"  # something the parties still have to decide
TABLE = "table"  # rows of cells, the first row is the header
SIGN = "sign"  # the signature block: one column per party
LIST = (ITEM, TODO)

# Which open points each section shows (see ``flows.export.open_points``).
SECTION_TODOS = {
    "parties": ("our_name", "partner_name", "our_contact", "partner_contact"),
    "purpose": ("goals",),
    "give_get": ("our_gives", "partner_gives"),
    "tasks": ("due_dates",),
    "money": ("money", "cost_split", "sponsor_amount", "proceeds_split"),
    "visibility": ("visibility",),
    "period": ("start", "end"),
    "data": ("data_holder",),
    "ending": ("notice",),
}


@dataclass(frozen=True)
class Block:
    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    parties_line: str
    sections: tuple[Section, ...]


def names(doc: dict[str, Any]) -> dict[str, str]:
    """The two parties' names, or a placeholder that shows a name is still missing."""
    lang = doc["language"]
    parties = doc["parties"]
    return {
        US: parties[US]["name"] or t("agreement.us_unnamed", lang),
        PARTNER: parties[PARTNER]["name"] or t("agreement.partner_unnamed", lang),
    }


def _label(question: str, value: Any, lang: str) -> str:
    return answer_text(by_key(question), value, lang)


def _lower(text: str) -> str:
    """A label inside a sentence ("One day" -> "one day"); an acronym keeps its capitals."""
    return text[:1].lower() + text[1:] if not text[1:2].isupper() else text


def _labels(question: str, values: list[str], lang: str) -> str:
    """Several options of a question inside a sentence: "a joint event, a network"."""
    return join((_lower(_label(question, [value], lang)) for value in values), lang)


def document(doc: dict[str, Any]) -> Document:
    lang = doc["language"]
    who = names(doc)
    open_points = set(doc["open_points"])

    def todos(section: str) -> list[Block]:
        """One line per section: what is still open there, joined."""
        points = [
            t(f"agreement.todo.{key}", lang, **who)
            for key in SECTION_TODOS.get(section, ())
            if key in open_points
        ]
        return [Block(TODO, "; ".join(points))] if points else []

    def section(key: str, *blocks: Block) -> Section:
        return Section(key, t(f"agreement.section.{key}", lang), (*blocks, *todos(key)))

    sections = [
        section("parties", *_parties(doc, who, lang)),
        section("purpose", *_purpose(doc, lang)),
        section("form", *_form(doc, lang)),
        section("give_get", *_give_get(doc, who, lang)),
        section("tasks", *_tasks(doc, who, lang)),
        section("money", *_money(doc, who, lang)),
        section("visibility", *_visibility(doc, who, lang)),
        section("period", *_period(doc, lang)),
        section("values", *_values(doc, who, lang)),
        section("data", *_data(doc, who, lang)),
        section("ending", Block(TEXT, t("agreement.ending", lang))),
    ]
    if doc["notes"]:
        sections.append(section("notes", *_notes(doc, lang)))
    sections += [
        section("status", Block(TEXT, t("agreement.not_binding", lang))),
        section(
            "signatures",
            Block(SIGN, rows=tuple(_signature(who[side], lang) for side in (US, PARTNER))),
        ),
    ]
    return Document(
        title=t("export.title", lang),
        parties_line=t("export.parties", lang, association=who[US], partner=who[PARTNER]),
        sections=tuple(sections),
    )


def _parties(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    blocks = []
    for side in (US, PARTNER):
        party = doc["parties"][side]
        line = who[side]
        if side == PARTNER and party["kind"] not in (None, "unknown", "several"):
            line = f"{line} ({_lower(_label('partner_kind', party['kind'], lang))})"
        blocks.append(Block(ITEM, line))
        for contact in party["contacts"]:
            blocks.append(Block(ITEM, t("agreement.contact", lang, name=who[side], who=contact)))
    if any(doc["parties"][side]["contacts"] for side in (US, PARTNER)):
        blocks.append(Block(TEXT, t("agreement.contacts_note", lang)))
    return blocks


def _purpose(doc: dict[str, Any], lang: str) -> list[Block]:
    purpose = doc["purpose"]
    blocks = []
    if purpose["aims"]:
        aims = _labels("aims", purpose["aims"], lang)
        blocks.append(Block(TEXT, t("agreement.aims", lang, aims=aims)))
    goal = purpose["strategy_detail"] or (
        _lower(_label("strategy_goal", purpose["strategy_goal"], lang))
        if purpose["strategy_goal"] and purpose["strategy_goal"] != "other"
        else None
    )
    if goal:
        blocks.append(Block(TEXT, t("agreement.strategy", lang, goal=goal)))
    # The members' own words, quoted as they typed them.
    for key in ("target_benefit", "success_measure"):
        if purpose[key]:
            blocks.append(Block(ITEM, f"{t(f'agreement.{key}', lang)}: {purpose[key]}"))
    return blocks


def _form(doc: dict[str, Any], lang: str) -> list[Block]:
    form = doc["form"]
    name = t(f"form.{form['key']}.name", lang)
    lines = [t("agreement.form", lang, form=_lower(name))]
    if form["combined_with"]:
        other = form["combined_with"]
        lines.append(
            t(
                "agreement.combined",
                lang,
                form=_lower(t(f"form.{other}.name", lang)),
                about=t(f"form.{other}.combine", lang),
            )
        )
    because = [_because(r["question"], r["option"], lang) for r in form["reasons"]]
    if because:
        lines.append(t("agreement.because", lang, reasons="; ".join(because)))
    return [Block(TEXT, " ".join(lines))]


def _because(question: str, option: str, lang: str) -> str:
    kind = by_key(question).kind
    value: Any = int(option) if kind == "scale" else [option] if kind == "multi" else option
    answer = _lower(_label(question, value, lang))
    key = f"agreement.why.{question}"
    if has(key, lang) or has(key):
        return t(key, lang, answer=answer)
    return f"{_lower(t(f'q.{question}.short', lang))}: {answer}"


def _resources(keys: list[str], lang: str) -> str:
    if not keys:
        return t("agreement.nothing_named", lang)
    return join((_lower(t(f"opt.resource.{key}", lang)) for key in keys), lang)


def _give_get(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    gives = doc["give_and_get"]
    return [
        Block(ITEM, t("agreement.gives", lang, name=who[US], what=_resources(gives[US], lang))),
        Block(
            ITEM,
            t("agreement.gives", lang, name=who[PARTNER], what=_resources(gives[PARTNER], lang)),
        ),
        Block(TEXT, t("agreement.gets", lang)),
    ]


def owner_name(task: dict[str, Any], who: dict[str, str], lang: str) -> str:
    """The accountable organisation, by name; a joint task names its lead."""
    if task["owner"] == TOGETHER:
        return t("agreement.owner_both", lang)
    if task["joint"]:
        return t("agreement.owner_joint", lang, lead=who[task["owner"]])
    return who[task["owner"]]


def _tasks(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    if not doc["tasks"]:
        return [Block(TEXT, t("agreement.no_tasks", lang))]
    header = tuple(
        t(f"agreement.col.{key}", lang) for key in ("task", "owner", "member", "due", "status")
    )
    rows = [header]
    for task in doc["tasks"]:
        status = t(f"agreement.status.{task['status']}", lang)
        if task["done_by"]:
            status = t(
                "agreement.done_by", lang, name=task["done_by"], date=_day(task["done_at"], lang)
            )
        rows.append(
            (
                t(f"task.{task['key']}", lang),
                owner_name(task, who, lang),
                task["member"] or "—",
                _day(task["due"], lang) if task["due"] else t("agreement.not_set", lang),
                status,
            )
        )
    return [Block(TABLE, rows=tuple(rows))]


def _money(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    money = doc["money"]
    blocks = []
    if money["arrangement"]:
        blocks.append(Block(TEXT, t(f"agreement.money.{money['arrangement']}", lang, **who)))
    if money["our_time"]:
        time = _lower(_label("commitment", money["our_time"], lang))
        blocks.append(Block(TEXT, t("agreement.our_time", lang, us=who[US], time=time)))
    return blocks


def _visibility(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    blocks = [Block(TEXT, t("agreement.visibility", lang, **who))]
    voice = doc["visibility"]["public_voice"]
    if voice in ("statement", "campaign"):
        blocks.append(Block(TEXT, t(f"agreement.public_voice.{voice}", lang)))
    if doc["parties"][PARTNER]["kind"] == "company":
        blocks.append(Block(TEXT, t("agreement.company_marketing", lang, **who)))
    return blocks


def _period(doc: dict[str, Any], lang: str) -> list[Block]:
    period = doc["period"]
    not_set = t("agreement.not_set", lang)
    dates = [
        t("agreement.start", lang, date=_day(period["start"], lang) or not_set),
        t("agreement.end", lang, date=_day(period["end"], lang) or not_set),
    ]
    if period["time_span"]:
        span = _lower(_label("time_span", period["time_span"], lang))
        dates.insert(0, t("agreement.time_span", lang, span=span))
    reviews = join((_day(day, lang) for day in period["review_dates"]), lang)
    dates.append(t("agreement.reviews", lang, dates=reviews))
    return [Block(TEXT, " · ".join(dates)), *_review(doc, lang)]


def _review(doc: dict[str, Any], lang: str) -> list[Block]:
    """The review's answers so far, one line each, with who gave them (issue 17)."""
    blocks = []
    for answer in doc.get("review", ()):
        value = answer["answer"]
        label = {"reached": "review.reached_", "next": "review.next_"}.get(answer["question"])
        shown = t(f"{label}{value}", lang) if label else value
        question = t(f"export.review_{answer['question']}", lang)
        blocks.append(Block(TEXT, f"{question}: {shown} ({answer['by']})"))
    return blocks


def _day(iso: str | None, lang: str) -> str:
    """An ISO 8601 date (or date and time) as people write dates in ``lang``."""
    return format_day(date.fromisoformat(iso[:10]), lang) if iso else ""


def _values(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    values = doc["values"]
    company = doc["parties"][PARTNER]["kind"] == "company"
    blocks = [
        Block(TEXT, t("agreement.ethics_company" if company else "agreement.ethics", lang, **who))
    ]
    if values["conflict"] and values["conflict"] != "none":
        what = values["conflict_detail"] or _lower(
            _label("value_conflict", values["conflict"], lang)
        )
        blocks.append(Block(TEXT, t("agreement.concern", lang, what=what, **who)))
    return blocks


def _data(doc: dict[str, Any], who: dict[str, str], lang: str) -> list[Block]:
    holder = doc["data_protection"]["responsible"]
    blocks = []
    if holder:
        blocks.append(Block(TEXT, t("agreement.data_holder", lang, name=who[holder])))
    blocks += [
        Block(TEXT, t("agreement.data_lists", lang)),
        Block(TEXT, t("agreement.data_joint", lang)),
    ]
    return blocks


def _notes(doc: dict[str, Any], lang: str) -> list[Block]:
    blocks = []
    for note in doc["notes"]:
        key = note["key"]
        if key == "value_conflict":
            what = note["detail"] or _lower(
                _label("value_conflict", doc["values"]["conflict"], lang)
            )
            text = t("note.value_conflict", lang, what=what)
        elif key == "map_the_field":
            text = t("note.map_the_field", lang, names=note["detail"] or "")
        else:
            text = t(f"note.{key}", lang)
        blocks.append(Block(ITEM, text))
    return blocks


def _signature(name: str, lang: str) -> tuple[str, ...]:
    return (
        t("agreement.sign_for", lang, name=name),
        t("agreement.sign_place_date", lang),
        t("agreement.sign_name", lang),
        t("agreement.sign_role", lang),
        t("agreement.sign_signature", lang),
    )


def markdown(doc: dict[str, Any]) -> str:
    """The agreement draft as Markdown (also readable as a plain Telegram message)."""
    lang = doc["language"]
    text = document(doc)
    lines = [f"# {text.title}", "", text.parties_line]
    for section in text.sections:
        lines += ["", f"## {section.title}", ""]
        previous = None
        for block in section.blocks:
            # A blank line between paragraphs and lists, so that Markdown keeps them apart.
            if previous is not None and not (block.kind in LIST and previous in LIST):
                lines.append("")
            previous = block.kind
            if block.kind == TEXT:
                lines.append(block.text)
            elif block.kind == ITEM:
                lines.append(f"- {block.text}")
            elif block.kind == TODO:
                lines.append(f"- {t('agreement.to_decide', lang)}: {block.text}")
            elif block.kind == TABLE:
                header, *rows = block.rows
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "---|" * len(header))
                lines += ["| " + " | ".join(row) + " |" for row in rows]
            elif block.kind == SIGN:
                for number, party in enumerate(block.rows):
                    # Two spaces end a Markdown line: each field stays on a line of its own.
                    lines += ([""] if number else []) + [f"**{party[0]}**", ""]
                    lines += [f"{line} ______________  " for line in party[1:]]
    return "\n".join(lines) + "\n"
