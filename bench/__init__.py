"""Partnerbot's benchmark: how fast and how lean it is against python-telegram-bot's own
conversation, and against an echo bot (the framework's floor).

Run ``python -m bench`` (``--quick`` for a run under a minute; ``--help`` for the options);
``bench/README.md`` explains what is measured and holds the latest table.

Layout: ``api`` is an offline Bot API (full PTB serialization, no network), ``walk`` records
how a member walks a whole plan, ``variants`` are the bots under test, ``driver`` feeds one
round of updates into a variant, ``worker`` runs one variant in a process of its own,
``runner`` interleaves the rounds and ``report`` prints the table.
"""
