"""The Telegram transport: python-telegram-bot 22 handlers around the PlanningService.

``run_bot(settings)`` is what ``partnerbot run`` calls; ``build_application`` wires a PTB
Application for a given service (tests drive it with an offline request).
"""

from bot.telegram.runner import run_bot

__all__ = ["run_bot"]
