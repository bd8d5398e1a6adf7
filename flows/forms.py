"""The six partnership forms of the guide, lightest commitment first.

The order is the documented tie order: when two forms score the same, the lighter one wins,
because a partnership is best started small.
"""

from __future__ import annotations

INFORMATION = "information"
EVENT = "event"
ADVOCACY = "advocacy"
NETWORK = "network"
CORPORATE = "corporate"
STRATEGIC = "strategic"

FORMS: tuple[str, ...] = (INFORMATION, EVENT, ADVOCACY, NETWORK, CORPORATE, STRATEGIC)
