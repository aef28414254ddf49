import re
from importlib import resources

import pytest
from loconomics_notifications.domain.rendering import has_template, phrase, phrasebook, render
from loconomics_notifications.domain.routing import ROUTES_BY_TEMPLATE
from loconomics_plumbing.moderation import (
    PROFILE_REPORT_REASONS,
    REPORT_REASONS,
    SUSPENSION_REASONS,
)

TEMPLATES = resources.files("loconomics_notifications.domain") / "templates"
ROLES = ("client", "professional", "member", "account")

SAMPLE = {
    "recipient_name": "Chloé",
    "service_name": "Haircut",
    "client_name": "Chloé",
    "professional_name": "Pat",
    "other_name": "Pat",
    "when": "Tuesday",
    "previous_when": "Monday",
    "price": "$19.00",
    "refund": "$19.00",
    "fee": "$0.00",
    "cancelled_by": "you",
    "plan_name": "Owner",
    "price_terms": "$29.00 per month",
    "proposed_times": "- Tuesday",
    "proposed_when": "Thursday",
    "answer_by": "Wednesday",
    "paid_on": "March 1",
    "meaning": "You are an owner.",
    "first_dues": "Current period ends: April 1",
    "amount": "$5.00",
    "purpose": "your membership",
    "status": "owner",
    "previous_status": "trial",
    "title": "Budget 2027",
    "closes": "Friday",
    "outcome": "passed",
    "yes": "10",
    "no": "2",
    "abstain": "1",
    "seats": "3",
    "elected": "Ana, Bo",
    "year": "2026",
    "allocated": "$100.00",
    "cash": "$20.00",
    "retained": "$80.00",
    "sender_name": "Pat",
    "subject": "Parking",
    "excerpt": "See you there",
    "expires": "Sunday, March 1, 2026 at 1:00 PM (UTC)",
    "how_changed": "The password of your Loconomics account was changed.",
    "closed_on": "Sunday, March 1, 2026 at 12:00 PM (UTC)",
    "which_address": "email address",
    "request": "Please confirm that this email address is yours.",
    "if_not_you": "If you did not sign up, ignore this email.",
    "new_email": "chloe.new@example.org",
    "changed_on": "Sunday, March 1, 2026 at 12:00 PM (UTC)",
    "undo_until": "Sunday, March 8, 2026 at 12:00 PM (UTC)",
    "requested_on": "Sunday, March 1, 2026 at 12:00 PM (UTC)",
    "subject_name": "Pat",
    "removed_on": "Sunday, March 1, 2026 at 12:00 PM (UTC)",
    "sent_on": "Sunday, March 1, 2026 at 11:00 AM (UTC)",
    "reason": "harassment or bullying",
    "note_line": "\n\nA note from the moderators: keep it civil.",
    "what": "a review",
    "decision": "it stays",
    "suspended_on": "Sunday, March 1, 2026 at 12:00 PM (UTC)",
    "reinstated_on": "Sunday, March 8, 2026 at 12:00 PM (UTC)",
    "moderators_address": "moderators@loconomics.test",
}


def _template_files(language: str) -> set[str]:
    return {p.name for p in (TEMPLATES / language).iterdir() if not p.name.startswith("_")}


def test_english_and_french_have_the_same_templates():
    assert _template_files("en") == _template_files("fr")
    assert len(_template_files("en")) >= 29


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("template", sorted(ROUTES_BY_TEMPLATE))
def test_every_routed_template_renders_fully_in_both_languages(template, language):
    rendered_any = False
    for role in ROLES:
        if not has_template(template, role, language):
            continue
        rendered = render(template, role, language, SAMPLE, link="https://app.test/x")
        rendered_any = True
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not re.search(r"\$[A-Za-z_{]", part), part
        assert "Chloé" in rendered.text
        assert rendered.language == language
    assert rendered_any


def test_a_role_specific_template_wins_over_the_shared_one():
    client = render("booking_cancelled", "client", "en", SAMPLE)
    professional = render("booking_cancelled", "professional", "en", SAMPLE)
    assert "Refund to you" in client.text
    assert "Refunded to the client" in professional.text


def test_a_missing_value_is_an_error_not_a_dollar_sign():
    with pytest.raises(KeyError):
        render("booking_confirmed", "client", "en", {"recipient_name": "x"})


def test_what_members_type_cannot_inject_markup():
    values = {**SAMPLE, "sender_name": "<script>alert(1)</script>", "excerpt": "<b>hi</b> & bye"}
    rendered = render("message_received", "client", "en", values, link="https://app.test/c")
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in rendered.html
    assert "<b>hi</b> & bye" in rendered.text


def test_a_subject_never_spans_lines():
    values = {**SAMPLE, "title": "Line one\r\nBcc: victim@example.org"}
    rendered = render("proposal_opened", "member", "en", values)
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_links_appear_only_when_absolute_and_safe():
    absolute = render("welcome", "account", "en", SAMPLE, link="https://app.test/")
    assert "Open Loconomics: https://app.test/" in absolute.text
    assert '<a href="https://app.test/">Open Loconomics</a>' in absolute.html
    relative = render("welcome", "account", "en", SAMPLE, link="/")
    assert "Open Loconomics" not in relative.text and "<a " not in relative.html
    assert relative.link == "/"
    script = render("welcome", "account", "en", SAMPLE, link="javascript:alert(1)")
    assert "javascript:" not in script.html


def test_optional_notifications_say_how_to_switch_them_off():
    optional = render("booking_reminder", "client", "fr", SAMPLE, transactional=False)
    required = render("booking_confirmed", "client", "fr", SAMPLE, transactional=True)
    hint = phrase("fr", "preferences_hint")
    assert hint in optional.text
    assert hint not in required.text


def test_an_unknown_language_falls_back_to_english():
    assert render("welcome", "account", "de", SAMPLE).subject.startswith("Welcome")


def test_the_body_is_the_message_without_signature():
    rendered = render("welcome", "account", "en", SAMPLE, link="https://app.test/")
    assert rendered.body.startswith("Hello Chloé,")
    assert phrase("en", "signature") not in rendered.body
    assert phrase("en", "signature") in rendered.text


# ---- moderation (docs/reports-and-blocks.md) -----------------------------------------------


EVERY_REASON = tuple(dict.fromkeys(REPORT_REASONS + PROFILE_REPORT_REASONS + SUSPENSION_REASONS))


def test_the_reasons_include_the_three_of_profiles():
    assert {"fake_profile", "impersonation", "false_credentials"} <= set(EVERY_REASON)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_report_and_suspension_reason_has_words_of_its_own_in_each_language(language):
    words = [phrasebook(language).get(f"reason_{reason}") for reason in EVERY_REASON]
    assert all(words), dict(zip(EVERY_REASON, words, strict=True))
    assert len(set(words)) == len(EVERY_REASON)
    if language == "fr":
        english = {phrasebook("en")[f"reason_{reason}"] for reason in EVERY_REASON}
        assert not english & set(words)


@pytest.mark.parametrize(
    ("template", "language", "subject", "says"),
    [
        ("review_removed", "en", "Your review of Pat was removed", "The reason: harassment"),
        ("review_removed", "fr", "Votre avis sur Pat a été retiré", "Motif : harassment"),
        ("message_withheld", "en", 'Your message in "Parking" was withheld', "to Pat on Sunday"),
        ("message_withheld", "fr", "Votre message dans « Parking » a été masqué", "à Pat le"),
        ("report_resolved", "en", "Your report: it stays", "Thank you for reporting a review."),
        ("report_resolved", "fr", "Votre signalement : it stays", "Merci d'avoir signalé"),
        ("account_suspended", "en", "Your Loconomics account is suspended", "on Sunday"),
        ("account_suspended", "fr", "Votre compte Loconomics est suspendu", "Motif : harassment"),
        ("account_reinstated", "en", "Your Loconomics account is no longer suspended", "again"),
        ("account_reinstated", "fr", "Votre compte Loconomics n'est plus suspendu", "de nouveau"),
    ],
)
def test_moderation_notices_render_with_the_note_as_its_own_paragraph(
    template, language, subject, says
):
    rendered = render(template, "member", language, SAMPLE, link="https://app.test/x")
    assert rendered.subject == subject
    assert says in rendered.text
    assert "\n\nA note from the moderators: keep it civil." in rendered.body
    assert "<p>A note from the moderators: keep it civil.</p>" in rendered.html
    without = render(template, "member", language, {**SAMPLE, "note_line": ""})
    assert "note from the moderators" not in without.text
