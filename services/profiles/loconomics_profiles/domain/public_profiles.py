"""Public profiles as last rendered, kept per professional, for the most read page of the site.

Building a public profile costs four queries and a schema dump; showing it again costs one
query, made outside any transaction (`loconomics_plumbing.storage.read_one`). Each read still
asks the database for the profile row (it also resolves a custom address), which carries the
profile's public stamp: any change the page shows gives that stamp a new value in the same
transaction (`loconomics_profiles.public_profile_stamps`). A kept answer is served only while
its stamp is the one just read and its day is today (a credential shows whether it has
expired), so a change made through any copy of the service is seen by the next read on every
copy, with nothing to broadcast. An answer that depends on who is looking (a service offered to
one client only) is kept for anonymous viewers only.

Answers are shared between readers: nobody may change one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller
from sqlalchemy.orm import Session

from loconomics_profiles.domain.professional_profiles import (
    find_public_profile,
    public_profile_of,
)

CAPACITY = 10_000


@dataclass(frozen=True)
class Kept:
    stamp: str
    day: date
    same_for_everyone: bool
    answer: dict


class PublicProfiles:
    """`public_profile`, rendered by `render`, with the last answer kept per professional."""

    def __init__(self, render: Callable[[dict], dict], capacity: int = CAPACITY):
        self.render = render
        self.capacity = capacity
        self._kept: dict[str, Kept] = {}
        self._lock = threading.Lock()  # for keeping; a read of one entry needs none

    def read(
        self, session: Session, professional: str, viewer: Caller | None, now: datetime
    ) -> dict:
        try:
            found = find_public_profile(session, professional)
        except NotFound:
            self.forget(professional)  # a closed professional's, asked for by id
            raise
        viewer_id = viewer.user_id if viewer else None
        today = now.date()
        kept = self._kept.get(found.professional_id)
        if (
            kept is not None
            and kept.stamp == found.public_stamp
            and kept.day == today
            and (kept.same_for_everyone or viewer_id is None)
        ):
            return kept.answer
        # The rest is read after the stamp. A change committed in between is shown by this
        # answer, which is kept under the stamp from before it: the next read finds the new
        # stamp and builds again. So a kept answer is never older than its stamp.
        view, same_for_everyone = public_profile_of(session, found, viewer_id, now)
        answer = self.render(view)
        if same_for_everyone or viewer_id is None:
            self._keep(
                found.professional_id, Kept(found.public_stamp, today, same_for_everyone, answer)
            )
        return answer

    def _keep(self, professional_id: str, kept: Kept) -> None:
        with self._lock:
            self._kept.pop(professional_id, None)
            if len(self._kept) >= self.capacity:
                del self._kept[next(iter(self._kept))]  # the one kept longest ago
            self._kept[professional_id] = kept

    def forget(self, professional_id: str) -> None:
        """Drop a kept answer whose professional has no public profile any more (a closed
        account): it would never be served again, but it holds their personal data."""
        with self._lock:
            self._kept.pop(professional_id, None)

    def __len__(self) -> int:
        return len(self._kept)
