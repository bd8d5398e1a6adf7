"""A bounded in-process memory of member rows known to exist, to skip their upsert."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

# (association id, user id) -> the name stored for that member.
MemberKey = tuple[int, str]


class MemberCache:
    """Least-recently-used map of members known to be stored.

    Keyed by association *id*, which is never reused (AUTOINCREMENT on SQLite, a sequence on
    PostgreSQL): when another process deletes an association, its entries here can never match
    a new association and merely age out. Deletions made by this process drop them at once.
    Entries are added only after the transaction that wrote them has committed.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be >= 0")
        self._maxsize = maxsize
        self._entries: OrderedDict[MemberKey, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def knows(self, association_id: int, user_id: str, name: str) -> bool:
        """True when this member is stored with this name (and mark it recently used)."""
        key = (association_id, user_id)
        if self._entries.get(key) != name:
            return False
        self._entries.move_to_end(key)
        return True

    def add(self, entries: Iterable[tuple[int, str, str]]) -> None:
        for association_id, user_id, name in entries:
            key = (association_id, user_id)
            self._entries[key] = name
            self._entries.move_to_end(key)
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)

    def drop_association(self, association_id: int) -> None:
        for key in [k for k in self._entries if k[0] == association_id]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
