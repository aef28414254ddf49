"""Turning a template and its values into a subject, a plain-text body and an HTML body.

Templates are `string.Template` files in `templates/<language>/`, one per notification, with a
small header block (`Subject:`, optional `Action:`) then the body. A role-specific file
(`booking_cancelled.client.txt`) wins over the shared one (`booking_cancelled.txt`).
`string.Template` is enough (no logic in templates, nothing new to install) and cannot run code.
The HTML is made from the finished text, escaped as a whole, so nothing a member typed (a name,
a message) can inject markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from .wording import DEFAULT_LANGUAGE, LANGUAGES

_TEMPLATES = resources.files(__package__) / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    text: str
    html: str
    link: str | None
    language: str


@dataclass(frozen=True)
class _Source:
    subject: Template
    action: Template | None
    body: Template


def _parse(raw: str, name: str) -> _Source:
    head, _, body = raw.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"template {name}: bad header line {line!r}")
        headers[key.strip().lower()] = value.strip()
    if "subject" not in headers:
        raise ValueError(f"template {name}: no Subject header")
    action = headers.get("action")
    return _Source(
        subject=Template(headers["subject"]),
        action=Template(action) if action else None,
        body=Template(body.strip("\n")),
    )


@cache
def _source(language: str, name: str) -> _Source | None:
    path = _TEMPLATES / language / f"{name}.txt"
    if not path.is_file():
        return None
    return _parse(path.read_text(encoding="utf-8"), f"{language}/{name}")


@cache
def phrasebook(language: str) -> dict[str, str]:
    """Words the code needs in each language (`you`, status labels), kept beside the templates."""
    words: dict[str, str] = {}
    for line in (_TEMPLATES / language / "_words.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            words[key.strip()] = value.strip()
    return words


def phrase(language: str, key: str, **values: str) -> str:
    return Template(phrasebook(language)[key]).substitute(values)


def has_template(name: str, role: str, language: str = DEFAULT_LANGUAGE) -> bool:
    return _source(language, f"{name}.{role}") is not None or _source(language, name) is not None


def _find(name: str, role: str, language: str) -> _Source:
    for lang in (language, DEFAULT_LANGUAGE):
        found = _source(lang, f"{name}.{role}") or _source(lang, name)
        if found is not None:
            return found
    raise LookupError(f"no template {name!r} for role {role!r}")


@cache
def _layout() -> Template:
    return Template((_TEMPLATES / "layout.html").read_text(encoding="utf-8"))


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _paragraphs(text: str) -> str:
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in blocks
    )


def render(
    name: str,
    role: str,
    language: str,
    values: dict[str, str],
    *,
    link: str | None = None,
    transactional: bool = True,
) -> Rendered:
    """Render one notification; a missing value is a bug, so it raises rather than shows `$x`."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    source = _find(name, role, language)
    subject = _one_line(source.subject.substitute(values))
    body = source.body.substitute(values)
    footer = phrase(language, "signature")
    if not transactional:
        footer += "\n" + phrase(language, "preferences_hint")
    action = source.action.substitute(values) if source.action else None
    safe_link = link if link and link.startswith(("https://", "http://")) else None
    text_parts = [body]
    if safe_link:
        text_parts.append(f"{action}: {safe_link}" if action else safe_link)
    text = "\n\n".join(text_parts + ["-- \n" + footer]) + "\n"
    action_html = (
        f'<p><a href="{html.escape(safe_link, quote=True)}">'
        f"{html.escape(action or safe_link)}</a></p>"
        if safe_link
        else ""
    )
    page = _layout().substitute(
        lang=language,
        subject=html.escape(subject),
        body=_paragraphs(body),
        action=action_html,
        footer=_paragraphs(footer),
    )
    return Rendered(subject=subject, body=body, text=text, html=page, link=link, language=language)
