"""The conversation's state machine: which moves are legal from which step.

One ``transitions`` Machine serves every plan in the process (``model=None``): an event adds the
plan's model at its stored state, fires one trigger, and removes the model again. Building a
Machine per event would cost about 15x more.

The questionnaire decides *where* a move goes (the next question that applies, given the
answers); the machine decides *whether* that move is allowed from here: answers only go forward,
skip only from skippable questions, edit and finish only from the review step.
"""

from __future__ import annotations

from functools import lru_cache

from transitions import EventData, Machine, MachineError

from flows.questionnaire import DONE, FIRST, QUESTIONS, REVIEW

STATES: list[str] = [q.key for q in QUESTIONS] + [REVIEW, DONE]


def _goes_to_target(event: EventData) -> bool:
    # Many transitions share one trigger and source; the one whose destination is the target
    # computed from the answers is the one taken.
    return event.kwargs.get("to") == event.transition.dest


class _LeanMachine(Machine):
    """A Machine that skips the per-model conveniences (``is_<state>``, ``may_<trigger>`` and
    one method per trigger, ``model.answer(...)``).

    They are attached to every model on ``add_model`` and cost most of an event with 26 states
    and 6 triggers; ``move`` fires its trigger by name (``model.trigger``), which stays.
    """

    def _add_model_to_state(self, state, model):  # type: ignore[no-untyped-def]
        pass

    def _add_may_transition_func_for_trigger(self, trigger, model):  # type: ignore[no-untyped-def]
        pass

    def _add_trigger_to_model(self, trigger, model):  # type: ignore[no-untyped-def]
        pass


def _build() -> Machine:
    machine = _LeanMachine(
        model=None,
        states=STATES,
        initial=FIRST,
        auto_transitions=False,
        send_event=True,
    )
    keys = [q.key for q in QUESTIONS]

    def targeted(trigger: str, source: str, dests: list[str]) -> None:
        for dest in dests:  # one transition per destination: transitions does not fan out dest
            machine.add_transition(trigger, source, dest, conditions=_goes_to_target)

    for i, question in enumerate(QUESTIONS):
        forward = [*keys[i + 1 :], REVIEW]
        targeted("answer", question.key, forward)
        if question.skippable:
            targeted("skip", question.key, forward)
        targeted("back", question.key, keys[:i])
    targeted("back", REVIEW, keys)
    targeted("edit", REVIEW, keys)
    machine.add_transition("finish", REVIEW, DONE)
    machine.add_transition("restart", STATES, FIRST)
    return machine


MACHINE = _build()


class _Step:
    """The model ``transitions`` moves: just a state."""

    state: str


# The machine never changes: a move depends on its arguments only (~4,400 combinations).
@lru_cache(maxsize=8192)
def move(state: str, trigger: str, to: str | None = None) -> str | None:
    """Fire ``trigger`` from ``state`` towards ``to``; the new state, or None if not allowed."""
    step = _Step()
    MACHINE.add_model(step, initial=state)
    try:
        moved = step.trigger(trigger, to=to)  # type: ignore[attr-defined]
    except MachineError:
        moved = False
    finally:
        MACHINE.remove_model(step)
    return step.state if moved else None


def can(state: str, trigger: str) -> bool:
    """Whether ``trigger`` has any transition from ``state`` (for showing Back/Skip buttons)."""
    return bool(MACHINE.get_transitions(trigger=trigger, source=state))
