"""Typo-tolerant matching of what a client types against job-title names and aliases.

Clients type on phones, half a word at a time, in several spellings ("masage", "Coiffeur",
"dog-walk"). Matching is on a folded form (accents removed, case folded, punctuation as spaces)
and ranks in fixed classes so the order never depends on dictionary or database order:

    0 exact      the whole name or alias equals the query
    1 prefix     a name or alias starts with the query
    2 word       a later word of a name or alias starts with the query ("walker" -> "dog walker")
    3 typo       a name or alias starts with something within the allowed edit distance
    4 typo word  the same against a later word

Within a class: smaller edit distance, then the shorter matched name, alias or word (the
closest completion: "paint" means "painter" before "painting lessons"), a name before an alias,
the shorter title name, then name and id.
The edit distance is the optimal-string-alignment Damerau-Levenshtein distance (an adjacent
swap counts as one edit), allowed only for queries of 4 characters or more: 1 edit from 4, 2
from 8. Shorter queries match by prefix only, where a typo would match half the catalog.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

EXACT, PREFIX, WORD_PREFIX, TYPO, TYPO_WORD = range(5)

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """The comparable form of a name: accent-free, case-folded, single-spaced alphanumerics.

    Cached because every lookup folds the whole catalog's names and aliases again.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_ALNUM.sub(" ", bare).strip()


def allowed_typos(query_length: int) -> int:
    if query_length >= 8:
        return 2
    if query_length >= 4:
        return 1
    return 0


def prefix_distance(query: str, candidate: str, limit: int) -> int | None:
    """Smallest OSA distance from `query` to any prefix of `candidate`, if at most `limit`.

    One dynamic-programming table gives the distance to every prefix at once (its last row).
    Lookups run this against every name and alias, so it is cut short three ways: letters of the
    query missing from the candidate's start each cost an edit (a swap moves none); only cells
    within `limit` of the diagonal can hold a small enough value; and it stops once two
    consecutive rows exceed the limit, since a swap reaches back two rows at most.
    """
    m = len(query)
    width = min(len(candidate), m + limit)
    if width < m - limit:
        return None
    pool = list(candidate[:width])
    missing = 0
    for letter in query:
        if letter in pool:
            pool.remove(letter)
        else:
            missing += 1
            if missing > limit:
                return None
    over = limit + 1
    before: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i in range(1, m + 1):
        row = [over] * (width + 1)
        row[0] = i if i <= limit else over
        q = query[i - 1]
        for j in range(max(1, i - limit), min(width, i + limit) + 1):
            c = candidate[j - 1]
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (q != c), over)
            if i > 1 and j > 1 and q == candidate[j - 2] and query[i - 2] == c:
                best = min(best, before[j - 2] + 1)
            row[j] = best
        if min(row) > limit and min(previous) > limit:
            return None
        before, previous = previous, row
    distance = min(previous[max(0, m - limit):])
    return distance if distance <= limit else None


@dataclass(frozen=True)
class TitleTerms:
    """What a title can be found by."""

    job_title_id: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class TitleMatch:
    job_title_id: str
    match_class: int
    distance: int
    matched: str
    key: tuple


def _word_suffixes(term: str) -> list[str]:
    positions = [i + 1 for i, c in enumerate(term) if c == " "]
    return [term[p:] for p in positions]


def _match_term(query: str, term: str, limit: int) -> tuple[int, int, int] | None:
    """(class, edit distance, length of the matched term or word), or None."""
    if term == query:
        return EXACT, 0, len(term)
    if term.startswith(query):
        return PREFIX, 0, len(term)
    suffixes = _word_suffixes(term)
    words = [len(s) for s in suffixes if s.startswith(query)]
    if words:
        return WORD_PREFIX, 0, min(words)
    if limit == 0:
        return None
    distance = prefix_distance(query, term, limit)
    if distance is not None:
        return TYPO, distance, len(term)
    typos = [(d, len(s)) for s in suffixes if (d := prefix_distance(query, s, limit)) is not None]
    if typos:
        distance, length = min(typos)
        return TYPO_WORD, distance, length
    return None


def rank_titles(query: str, titles: Iterable[TitleTerms]) -> list[TitleMatch]:
    """Every title that matches `query`, best first, each once (by its best term)."""
    return list(_rank(fold(query), tuple(titles)))


@lru_cache(maxsize=512)
def _rank(folded: str, titles: tuple[TitleTerms, ...]) -> tuple[TitleMatch, ...]:
    """Cached on the query and the exact titles seen, so a catalog change is never stale;
    searches repeat the same few trades, which then cost a hash instead of a scan."""
    if not folded:
        return ()
    limit = allowed_typos(len(folded))
    best: dict[str, TitleMatch] = {}
    for title in titles:
        folded_name = fold(title.name)
        terms = [(title.name, 0)] + [(alias, 1) for alias in title.aliases]
        for original, is_alias in terms:
            found = _match_term(folded, fold(original), limit)
            if found is None:
                continue
            match_class, distance, length = found
            key = (match_class, distance, length, is_alias, len(folded_name), folded_name,
                   title.job_title_id)
            current = best.get(title.job_title_id)
            if current is None or key < current.key:
                best[title.job_title_id] = TitleMatch(
                    title.job_title_id, match_class, distance, original, key
                )
    return tuple(sorted(best.values(), key=lambda match: match.key))
