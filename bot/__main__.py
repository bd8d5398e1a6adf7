"""``python -m bot``: the same as the ``partnerbot`` command."""

from bot.cli import main

raise SystemExit(main())
