"""The job-title catalog: seeding, lookup, and the proposal of missing titles.

A title a professional proposes is usable by them at once (so they can build their listing while
they wait) but visible to nobody else until an administrator approves it; that keeps the public
catalog curated without blocking anyone's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from loconomics_plumbing.errors import Conflict, Invalid, NotFound, field_error
from loconomics_plumbing.identity import Caller
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loconomics_profiles.domain.catalog_data import CATEGORIES, DEFAULT_CRITERIA, ENTRIES
from loconomics_profiles.domain.catalog_matching import (
    EXACT,
    TitleMatch,
    TitleTerms,
    fold,
    rank_titles,
)
from loconomics_profiles.shop_models import JobTitle

Emit = Callable[[str, dict], None]

LISTED = "listed"
PROPOSED = "proposed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

MAX_PENDING_PROPOSALS = 5
MAX_ALIASES = 10
_ID_NAMESPACE = uuid.UUID("5b0f3a52-6a53-4d6c-9b8e-1f0c2b7e4a10")


def job_title_id_for(slug: str) -> str:
    """Stable opaque id of a seeded title: the same on every database, never a counter."""
    return uuid.uuid5(_ID_NAMESPACE, f"job-title:{slug}").hex


def seed_catalog(session: Session, now: datetime) -> int:
    """Bring the seeded titles up to date; safe to run on every deploy. Returns rows written."""
    existing = {
        row.id: row
        for row in session.scalars(
            select(JobTitle).where(JobTitle.id.in_([job_title_id_for(e.slug) for e in ENTRIES]))
        )
    }
    written = 0
    for entry in ENTRIES:
        title_id = job_title_id_for(entry.slug)
        wanted = {
            "name": entry.name,
            "category": entry.category,
            "aliases": list(entry.aliases),
            "criteria": list(entry.criteria),
        }
        row = existing.get(title_id)
        if row is None:
            session.add(JobTitle(
                id=title_id, slug=entry.slug, listed_slug=entry.slug, status=LISTED,
                proposed_by=None, created_at=now, **wanted,
            ))
            written += 1
        elif any(getattr(row, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(row, field, value)
            written += 1
    session.flush()
    return written


def title_view(title: JobTitle, caller: Caller | None = None) -> dict:
    view = {
        "id": title.id,
        "name": title.name,
        "slug": title.slug,
        "category": title.category,
        "category_name": CATEGORIES.get(title.category, title.category),
        "aliases": list(title.aliases),
        "criteria": list(title.criteria),
        "status": title.status,
    }
    if title.proposed_by and caller is not None and (
        caller.user_id == title.proposed_by or caller.is_admin
    ):
        view["proposed_by"] = title.proposed_by
    return view


def _visible(session: Session, user_id: str | None) -> list[JobTitle]:
    condition = JobTitle.status == LISTED
    if user_id:
        condition = or_(
            condition, (JobTitle.status == PROPOSED) & (JobTitle.proposed_by == user_id)
        )
    return list(session.scalars(select(JobTitle).where(condition)))


def _ranked(titles: list[JobTitle], query: str) -> list[tuple[TitleMatch, JobTitle]]:
    by_id = {t.id: t for t in titles}
    terms = [TitleTerms(t.id, t.name, tuple(t.aliases)) for t in titles]
    return [(match, by_id[match.job_title_id]) for match in rank_titles(query, terms)]


def find_titles(session: Session, caller: Caller | None, query: str = "",
                limit: int = 20) -> list[dict]:
    """The catalog as a client or professional sees it, best match first (`GET /job-titles`)."""
    user_id = caller.user_id if caller else None
    titles = _visible(session, user_id)
    if not fold(query):
        ordered = sorted(titles, key=lambda t: (fold(t.name), t.id))
        return [title_view(t, caller) for t in ordered[:limit]]
    return [
        {**title_view(title, caller), "matched": match.matched}
        for match, title in _ranked(titles, query)[:limit]
    ]


def get_title(session: Session, job_title_id: str, caller: Caller | None) -> dict:
    title = session.get(JobTitle, job_title_id)
    user_id = caller.user_id if caller else None
    admin = caller is not None and caller.is_admin
    if title is None or not (
        title.status == LISTED or (user_id and title.proposed_by == user_id) or admin
    ):
        raise NotFound("no such job title")
    return title_view(title, caller)


def usable_title(session: Session, job_title_id: str, user_id: str) -> JobTitle:
    """The title a professional may build a listing on: listed, or their own proposal."""
    title = session.get(JobTitle, job_title_id) if job_title_id else None
    if title is None or not (
        title.status == LISTED or (title.status == PROPOSED and title.proposed_by == user_id)
    ):
        raise field_error("job_title_id", "unknown job title")
    return title


def resolve_title(session: Session, query: str, caller: Caller | None,
                  field: str = "job_title") -> JobTitle:
    """The one title a search means: an id, an exact name or alias, or an unambiguous match.

    A prefix or typo that fits several titles equally well is refused with suggestions rather
    than guessed, so "dog" does not silently mean whichever dog trade sorts first.
    """
    user_id = caller.user_id if caller else None
    by_id = session.get(JobTitle, query) if query else None
    if by_id is not None and (
        by_id.status == LISTED or (by_id.status == PROPOSED and by_id.proposed_by == user_id)
    ):
        return by_id
    ranked = _ranked(_visible(session, user_id), query)
    if not ranked:
        raise field_error(field, "unknown job title")
    top_match, top_title = ranked[0]
    if top_match.match_class == EXACT:
        return top_title
    tied = [title for match, title in ranked
            if (match.match_class, match.distance) == (top_match.match_class, top_match.distance)]
    if len(tied) == 1:
        return top_title
    names = ", ".join(t.name for t in tied[:5])
    raise field_error(field, f"ambiguous job title; did you mean one of: {names}")


def _clean_aliases(aliases: list[str], errors: dict[str, list[str]]) -> list[str]:
    cleaned: list[str] = []
    if len(aliases) > MAX_ALIASES:
        errors.setdefault("aliases", []).append(f"at most {MAX_ALIASES} aliases")
    for alias in aliases:
        text = " ".join(alias.split())
        if not 2 <= len(text) <= 80 or not fold(text):
            errors.setdefault("aliases", []).append(f"alias {alias!r} must be 2-80 characters")
        elif fold(text) not in {fold(a) for a in cleaned}:
            cleaned.append(text)
    return cleaned


def propose_title(session: Session, emit: Emit, caller: Caller, name: str, category: str,
                  now: datetime, aliases: list[str] | None = None) -> dict:
    """A professional adds a trade the catalog lacks; usable by them immediately."""
    user_id = caller.require_role("professional")
    errors: dict[str, list[str]] = {}
    name = " ".join(name.split())
    slug = fold(name).replace(" ", "-")
    if not 3 <= len(name) <= 80 or not any(c.isalpha() for c in slug):
        errors["name"] = ["must be 3-80 characters with at least one letter"]
    if category not in CATEGORIES:
        errors["category"] = [f"must be one of: {', '.join(sorted(CATEGORIES))}"]
    cleaned_aliases = _clean_aliases(aliases or [], errors)
    if errors:
        raise Invalid("the proposed job title is invalid", errors)

    for title in _visible(session, user_id):
        if fold(name) in {fold(title.name), *(fold(a) for a in title.aliases)}:
            raise Conflict(
                f"{title.name!r} already covers this job title",
                {"name": [f"already in the catalog as {title.name} ({title.id})"]},
            )
    pending = session.scalars(
        select(JobTitle.id).where(JobTitle.proposed_by == user_id, JobTitle.status == PROPOSED)
    ).all()
    if len(pending) >= MAX_PENDING_PROPOSALS:
        raise Conflict(f"at most {MAX_PENDING_PROPOSALS} proposals may wait for approval")

    title = JobTitle(
        id=uuid.uuid4().hex, slug=slug, listed_slug=None, name=name, category=category,
        aliases=cleaned_aliases, criteria=list(DEFAULT_CRITERIA), status=PROPOSED,
        proposed_by=user_id, created_at=now,
    )
    session.add(title)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("you already proposed this job title", {"name": ["already proposed"]}) \
            from exc
    emit("job_title_proposed", {
        "job_title_id": title.id, "name": title.name, "category": title.category,
        "proposed_by": user_id,
    })
    return title_view(title, caller)


def list_proposals(session: Session, caller: Caller) -> list[dict]:
    """Titles waiting for an administrator, oldest first."""
    caller.require_admin()
    rows = session.scalars(
        select(JobTitle).where(JobTitle.status == PROPOSED)
        .order_by(JobTitle.created_at, JobTitle.id)
    )
    return [title_view(t, caller) for t in rows]


def _pending(session: Session, job_title_id: str) -> JobTitle:
    title = session.get(JobTitle, job_title_id)
    if title is None:
        raise NotFound("no such job title")
    if title.status != PROPOSED:
        raise Conflict(f"this job title is already {title.status}")
    return title


def approve_title(session: Session, emit: Emit, caller: Caller, job_title_id: str,
                  now: datetime) -> dict:
    """List a proposal for everyone; refused if a listed title took its name meanwhile."""
    admin_id = caller.require_admin()
    title = _pending(session, job_title_id)
    for listed in _visible(session, None):
        if fold(title.name) in {fold(listed.name), *(fold(a) for a in listed.aliases)}:
            raise Conflict(f"{listed.name!r} ({listed.id}) already covers this job title")
    title.status = LISTED
    title.listed_slug = title.slug
    title.decided_at = now
    title.decided_by = admin_id
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("a listed job title already uses this slug") from exc
    emit("job_title_approved", {
        "job_title_id": title.id, "name": title.name, "category": title.category,
        "proposed_by": title.proposed_by,
    })
    return title_view(title, caller)


def reject_title(session: Session, emit: Emit, caller: Caller, job_title_id: str,
                 now: datetime, reason: str = "") -> dict:
    """Refuse a proposal; listings already built on it stay with their owner, unsearchable."""
    admin_id = caller.require_admin()
    if len(reason) > 500:
        raise field_error("reason", "at most 500 characters")
    title = _pending(session, job_title_id)
    title.status = REJECTED
    title.decided_at = now
    title.decided_by = admin_id
    emit("job_title_rejected", {
        "job_title_id": title.id, "name": title.name, "proposed_by": title.proposed_by,
        "reason": reason,
    })
    return title_view(title, caller)


def withdraw_proposals(session: Session, proposer_id: str, now: datetime) -> None:
    """A closed account's proposals still waiting leave the administrators' queue: nobody is
    left to use the title or be told the decision. Titles already listed stay listed."""
    pending = session.scalars(
        select(JobTitle).where(JobTitle.proposed_by == proposer_id, JobTitle.status == PROPOSED)
    )
    for title in pending:
        title.status = WITHDRAWN
        title.decided_at = now
