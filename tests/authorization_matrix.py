"""Who may do what, as data: every documented operation, a request builder for each actor and
what each actor must get. The builders point at the real resources of `authorization_world.World`.

`tests/integration/test_gateway_authorization_matrix.py` sends every row as every actor and
checks the answers; `tests/integration/test_gateway_fuzzing.py` takes the path ids an allowed
actor's request names, so the fuzzing reaches past "not found" into each operation's own rules.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from authorization_world import (
    ACTORS,
    ADMIN,
    ANONYMOUS,
    AREA,
    HOUR_OF_CLEANING,
    OWNER,
    PROFESSIONAL,
    SCHEDULE,
    World,
    expect,
    iso,
)
from stripe_webhooks import stripe_signature

OK = "allowed (2xx)"
UNSIGNED = 401
FORBIDDEN = 403
HIDDEN = 404
VERBS = ("get", "put", "post", "patch", "delete")
OWN_TOKEN = object()
"""The actor's own access token (the default of every request)."""


@dataclass(frozen=True)
class Request:
    params: dict = field(default_factory=dict)
    json: dict | None = None
    query: dict | None = None
    data: bytes | None = None
    headers: dict = field(default_factory=dict)
    token: object = OWN_TOKEN


Builder = Callable[[World, str], Request]


@dataclass(frozen=True)
class Rule:
    build: Builder
    expected: dict[str, str | int]


def public(build: Builder) -> Rule:
    return Rule(build, dict.fromkeys(ACTORS, OK))


def signed_in(build: Builder, **expected: str | int) -> Rule:
    assert set(expected) == set(ACTORS) - {ANONYMOUS}, f"classify every actor: {expected}"
    return Rule(build, {ANONYMOUS: UNSIGNED, **expected})


def mine(build: Builder) -> Rule:
    """The caller's own data: everyone signed in."""
    return signed_in(build, other_client=OK, professional=OK, owner=OK, admin=OK)


def admin_only(build: Builder) -> Rule:
    return signed_in(
        build, other_client=FORBIDDEN, professional=FORBIDDEN, owner=FORBIDDEN, admin=OK
    )


def professional_only(build: Builder) -> Rule:
    """A professional's own data: pure clients lack the role; administrators pass role checks."""
    return signed_in(build, other_client=FORBIDDEN, professional=OK, owner=FORBIDDEN, admin=OK)


def professionals_own(build: Builder) -> Rule:
    """One of the professional's own objects: clients lack the role; to an administrator (who
    passes the role check) another professional's object does not exist."""
    return signed_in(build, other_client=FORBIDDEN, professional=OK, owner=FORBIDDEN, admin=HIDDEN)


def members_and_admins(build: Builder) -> Rule:
    """Governance records the register and the board may read; a non-member client may not."""
    return signed_in(build, other_client=FORBIDDEN, professional=OK, owner=OK, admin=OK)


# request builders


def nothing(world: World, actor: str) -> Request:
    return Request()


def ids(**keys: str) -> Builder:
    """Path parameters naming the world's resources (`person:<actor>` for an account id)."""

    def build(world: World, actor: str) -> Request:
        return Request(params={name: resolve(world, key) for name, key in keys.items()})

    return build


def resolve(world: World, key: str) -> str:
    if key.startswith("person:"):
        return world.people[key.removeprefix("person:")].account_id
    return world.ids[key]


def with_body(build: Builder, body: dict | Callable[[World, str], dict]) -> Builder:
    def built(world: World, actor: str) -> Request:
        request = build(world, actor)
        return Request(
            params=request.params,
            json=body(world, actor) if callable(body) else body,
            token=request.token,
        )

    return built


def fresh(make: Callable[[World], str], fallback: str) -> Builder:
    """An `{id}` made for this actor alone, because the action uses it up. Anonymous callers
    are turned away at the door: they point at the world's own (`fallback`)."""

    def build(world: World, actor: str) -> Request:
        if actor == ANONYMOUS:
            return Request(params={"id": world.ids[fallback]})
        return Request(params={"id": make(world)})

    return build


def shared(key: str, make: Callable[[World], str]) -> Builder:
    """One `{id}` for the whole row: only the administrator (tried last) may act on it."""

    def build(world: World, actor: str) -> Request:
        if key not in world.ids:
            world.ids[key] = make(world)
        return Request(params={"id": world.ids[key]})

    return build


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.org"


def sign_up(world: World, actor: str) -> Request:
    return Request(
        json={
            "email": new_email(),
            "password": "correct horse battery staple",
            "name": "A newcomer",
            "roles": ["client"],
        }
    )


def log_in(world: World, actor: str) -> Request:
    person = world.person(actor)
    return Request(json={"email": person.email, "password": person.password})


def refresh(world: World, actor: str) -> Request:
    return Request(json={"refresh_token": world.log_in(world.person(actor))["refresh_token"]})


def log_out(world: World, actor: str) -> Request:
    """A session of its own, so the actor's main token keeps working."""
    if actor == ANONYMOUS:
        return Request()
    return Request(token=world.log_in(world.people[actor])["access_token"])


NEW_PASSWORD = "a brand new passphrase"


def forgot_password(world: World, actor: str) -> Request:
    """A link to the actor's own address (anonymous callers type the other client's): asking
    changes nothing until the link is used."""
    return Request(json={"email": world.person(actor).email})


def reset_password(world: World, actor: str) -> Request:
    """A stand-in's emailed token: a reset ends every log-in of its account, so the account
    reset is never one of the world's people."""
    stand_in = world.api.sign_up(name=f"Forgetful {actor}")
    return Request(json={"token": world.reset_token(stand_in.email), "password": NEW_PASSWORD})


def change_password(world: World, actor: str) -> Request:
    """A stand-in signed in on its own changes its password: a change ends the account's other
    log-ins, and the world's people keep theirs (and their passwords)."""
    if actor == ANONYMOUS:
        return Request(
            json={"current_password": "correct horse battery staple", "password": NEW_PASSWORD}
        )
    stand_in = world.api.sign_up(name=f"Careful {actor}")
    return Request(
        token=stand_in.token,
        json={"current_password": stand_in.password, "password": NEW_PASSWORD},
    )


def confirm_email(world: World, actor: str) -> Request:
    """A stand-in's sign-up link: the link works in any browser, signed in or not."""
    token = world.confirmation_token(f"Confirming {actor} {uuid.uuid4().hex[:6]}")
    return Request(json={"token": token})


def change_email(world: World, actor: str) -> Request:
    """A stand-in signed in on its own asks to move to a new address (a link goes there)."""
    new_address = {"email": f"moved-{uuid.uuid4().hex[:12]}@example.org"}
    if actor == ANONYMOUS:
        return Request(json={**new_address, "current_password": "correct horse battery staple"})
    stand_in = world.api.sign_up(name=f"Moving {actor}")
    return Request(
        token=stand_in.token, json={**new_address, "current_password": stand_in.password}
    )


def close_account(world: World, actor: str) -> Request:
    """A stand-in signed in on its own closes its account: the world's people keep theirs."""
    if actor == ANONYMOUS:
        return Request(json={"current_password": "correct horse battery staple"})
    stand_in = world.api.sign_up(name=f"Leaving {actor}")
    return Request(token=stand_in.token, json={"current_password": stand_in.password})


def export_data(world: World, actor: str) -> Request:
    """The actor downloads a copy of their own data (nothing changes but a notice email)."""
    if actor == ANONYMOUS:
        return Request(json={"current_password": "correct horse battery staple"})
    return Request(json={"current_password": world.people[actor].password})


def propose_title(world: World, actor: str) -> Request:
    return Request(json={"name": f"Pond keeper {uuid.uuid4().hex[:8]}", "category": "outdoor"})


def credential(world: World, actor: str) -> Request:
    return Request(
        json={
            "kind": "license",
            "name": "Pest control",
            "issuer": "CDPR",
            "number": uuid.uuid4().hex[:10],
            "state": "CA",
        }
    )


def new_listing(world: World, actor: str) -> Request:
    return Request(json={"job_title_id": world.spare_title(), "intro": "Careful and quick."})


def new_service(world: World, actor: str) -> Request:
    return Request(
        params={"id": world.ids["listing"]},
        json={**HOUR_OF_CLEANING, "name": f"Windows {uuid.uuid4().hex[:6]}"},
    )


def search(world: World, actor: str) -> Request:
    return Request(query={"job_title": "house cleaner", "lat": AREA["lat"], "lng": AREA["lng"]})


def review(world: World, actor: str) -> Request:
    return Request(
        params={"id": world.ids["reviewed_booking"]},
        json=world.review_body(PROFESSIONAL if actor == PROFESSIONAL else OWNER),
    )


def time_off(world: World, actor: str) -> Request:
    start = world.now() + timedelta(days=200)
    return Request(
        json={"start": iso(start), "end": iso(start + timedelta(hours=3)), "note": "Holiday"}
    )


def slots(world: World, actor: str) -> Request:
    start = world.now() + timedelta(days=3)
    return Request(
        params={"id": world.people[PROFESSIONAL].account_id},
        query={
            "service_id": world.ids["service"],
            "from": iso(start),
            "to": iso(start + timedelta(hours=6)),
        },
    )


def feed(world: World, actor: str) -> Request:
    return Request(params={"token": world.calendar_token()})


def terms(world: World, actor: str) -> Request:
    return Request(
        params={"id": world.ids["service"]}, query={"start": iso(world.now() + timedelta(days=5))}
    )


def book(world: World, actor: str) -> Request:
    """A client asks for an hour; the professional books their client at one."""
    start = iso(world.next_start())
    if actor == PROFESSIONAL:
        return Request(
            json={
                "service_id": world.ids["service"],
                "start": start,
                "client_id": world.people[OWNER].account_id,
            }
        )
    return Request(json={"service_id": world.ids["service"], "proposed_starts": [start]})


def my_bookings(world: World, actor: str) -> Request:
    return Request(query={"as": "professional" if actor == PROFESSIONAL else "client"})


def requested(body: Callable[[World, dict], dict]) -> Builder:
    """A fresh request of the owner's for each actor (the action uses it up), and its body."""

    def build(world: World, actor: str) -> Request:
        booking = world.request_booking()
        return Request(params={"id": booking["id"]}, json=body(world, booking))

    return build


def answer_move(world: World, actor: str) -> Request:
    """A move proposed by the other side (the professional's, for everyone but them)."""
    proposer = OWNER if actor == PROFESSIONAL else PROFESSIONAL
    return Request(params={"id": world.reschedule_proposed_by(proposer)}, json={"accept": True})


def over(use: str, body: dict | None = None) -> Builder:
    """A booking already over, one per signed-in actor."""

    def build(world: World, actor: str) -> Request:
        if actor == ANONYMOUS:
            return Request(params={"id": world.ids["reviewed_booking"]}, json=body)
        return Request(params={"id": world.past_booking(use)}, json=body)

    return build


def disputed(world: World, actor: str) -> Request:
    if actor == ANONYMOUS:
        return Request(params={"id": world.ids["reviewed_booking"]}, json={"outcome": "completed"})
    return Request(params={"id": world.disputed_booking()}, json={"outcome": "completed"})


def subscribed(world: World, actor: str) -> Request:
    """Cancelling and resuming act on a live subscription: a stand-in of the actor's kind."""
    if actor == ANONYMOUS:
        return Request()
    return Request(token=world.subscribed_stand_in(actor).token)


def pay(world: World, actor: str) -> Request:
    return Request(
        params={"id": world.ids["paid_booking"]}, json={"payment_method_id": world.card()}
    )


def stripe_event(world: World, actor: str) -> Request:
    body = json.dumps(
        {
            "id": f"evt_matrix_{uuid.uuid4().hex}",
            "object": "event",
            "type": "invoice.paid",
            "data": {"object": {"id": "in_not_ours", "object": "invoice"}},
        }
    ).encode()
    return Request(
        data=body,
        headers={
            "Stripe-Signature": stripe_signature(body, world.webhook_secret),
            "Content-Type": "application/json",
        },
    )


def suspended(world: World, actor: str) -> Request:
    target = world.new_account()
    answer = world.api.post(
        f"/v1/admin/members/{target}/suspension",
        token=world.people[ADMIN].token,
        json={"reason": "Under review."},
    )
    assert answer.status_code == 201, answer.text
    return Request(params={"id": target})


def window(days: int) -> Callable[[World, str], dict]:
    def body(world: World, actor: str) -> dict:
        opens = world.now() + timedelta(days=days)
        return {"opens_at": iso(opens), "closes_at": iso(opens + timedelta(days=1))}

    return body


def new_election(world: World, actor: str) -> Request:
    opens = world.now() + timedelta(days=10)
    return Request(
        json={
            "title": "Extraordinary board seat",
            "seats": 1,
            "opens_at": iso(opens),
            "closes_at": iso(opens + timedelta(days=2)),
        }
    )


def stand(world: World, actor: str) -> Request:
    """Standing anew: a member already standing withdraws first."""
    election = world.ids["election_nominating"]
    if actor in (PROFESSIONAL, OWNER):
        world.api.delete(
            f"/v1/governance/elections/{election}/candidates/me", token=world.token(actor)
        )
    return Request(params={"election_id": election}, json={"statement": "Open books."})


def withdraw(world: World, actor: str) -> Request:
    """Withdrawing: a member not standing yet stands first."""
    election = world.ids["election_nominating"]
    if actor in (PROFESSIONAL, OWNER):
        answer = world.api.post(
            f"/v1/governance/elections/{election}/candidates", token=world.token(actor), json={}
        )
        assert answer.status_code in (201, 409), answer.text
    return Request(params={"election_id": election})


def rank(world: World, actor: str) -> Request:
    return Request(
        params={"election_id": world.ids["election_open"]},
        json={"ranking": world.candidates("election_open")},
    )


def write_to(world: World, actor: str) -> Request:
    other_side = OWNER if actor == PROFESSIONAL else PROFESSIONAL
    return Request(
        json={
            "to": world.people[other_side].account_id,
            "subject": "Question",
            "body": "Are you free next week?",
        }
    )


def admin_makes_sure(method: str, path: str, body: dict | None = None) -> Callable[[World], None]:
    """An administrator's step before the request, which may already have been taken (409)."""

    def step(world: World) -> None:
        answer = world.api.request(
            method,
            path.format(**world.ids),
            token=world.people[ADMIN].token,
            json=body,
        )
        assert answer.status_code in (200, 201, 409), answer.text

    return step


def after(step: Callable[[World], None], build: Builder) -> Builder:
    def built(world: World, actor: str) -> Request:
        step(world)
        return build(world, actor)

    return built


REMOVAL = "/v1/admin/reviews/{moderated_review}/removal"
SUSPENSION = "/v1/admin/accounts/{suspendable}/suspension"
REINSTATEMENT = "/v1/admin/accounts/{suspendable}/reinstatement"
WITHHOLDING = "/v1/admin/messages/{moderated_message}/withholding"
SPAM = {"reason": "spam"}


def unblock(world: World, actor: str) -> Request:
    """Lifting a block the actor has just made."""
    blockable = world.ids["blockable"]
    if actor != ANONYMOUS:
        expect(world.api.put(f"/v1/me/blocks/{blockable}", token=world.token(actor)), 200)
    return Request(params={"account_id": blockable})


PROPOSAL = {"proposal_id": "proposal_open"}
CLOSED_PROPOSAL = {"proposal_id": "proposal_closed"}
ELECTION = {"election_id": "election_open"}
CLOSED_ELECTION = {"election_id": "election_closed"}
CONVERSATION = {"conversation_id": "conversation"}
MONEY = {"amount_cents": 100_000, "currency": "USD"}


MATRIX: dict[tuple[str, str], Rule] = {
    # operations
    ("GET", "/healthz"): public(nothing),
    ("GET", "/readyz"): public(nothing),
    ("GET", "/metrics"): public(nothing),
    # accounts and sessions
    ("POST", "/v1/accounts"): public(sign_up),
    ("POST", "/v1/sessions"): public(log_in),
    ("POST", "/v1/sessions/refresh"): public(refresh),
    ("DELETE", "/v1/sessions/current"): mine(log_out),
    ("GET", "/v1/me"): mine(nothing),
    ("PATCH", "/v1/me"): mine(lambda w, a: Request(json={"language": "en"})),
    ("POST", "/v1/password-resets"): public(forgot_password),
    ("POST", "/v1/password-resets/confirm"): public(reset_password),
    ("PUT", "/v1/me/password"): mine(change_password),
    ("POST", "/v1/me/closure"): mine(close_account),
    ("POST", "/v1/email-confirmations/confirm"): public(confirm_email),
    ("POST", "/v1/me/email-confirmations"): mine(nothing),
    ("PUT", "/v1/me/email"): mine(change_email),
    ("POST", "/v1/me/data-export"): mine(export_data),
    # job titles
    ("GET", "/v1/job-titles"): public(lambda w, a: Request(query={"q": "clean"})),
    ("GET", "/v1/job-titles/{id}"): public(ids(id="job_title")),
    ("POST", "/v1/job-titles"): professional_only(propose_title),
    ("GET", "/v1/admin/job-titles/proposals"): admin_only(nothing),
    ("POST", "/v1/admin/job-titles/{id}/approval"): admin_only(
        shared("title_to_approve", World.fresh_title_proposal)
    ),
    ("POST", "/v1/admin/job-titles/{id}/rejection"): admin_only(
        with_body(
            shared("title_to_reject", World.fresh_title_proposal), {"reason": "Already listed."}
        )
    ),
    # the professional's profile and credentials
    ("GET", "/v1/me/profile"): professional_only(nothing),
    ("PATCH", "/v1/me/profile"): professional_only(
        lambda w, a: Request(json={"languages": ["en", "fr"]})
    ),
    ("POST", "/v1/me/credentials"): professional_only(credential),
    ("PATCH", "/v1/me/credentials/{id}"): professionals_own(
        with_body(ids(id="credential"), {"issuer": "Green Seal International"})
    ),
    ("DELETE", "/v1/me/credentials/{id}"): professionals_own(
        fresh(World.fresh_credential, fallback="credential")
    ),
    ("PUT", "/v1/admin/credentials/{id}/verification"): admin_only(
        with_body(ids(id="credential"), {"verified": True})
    ),
    ("GET", "/v1/professionals/{id}"): public(ids(id=f"person:{PROFESSIONAL}")),
    # listings
    ("POST", "/v1/me/listings"): professional_only(new_listing),
    ("GET", "/v1/me/listings"): professional_only(nothing),
    ("GET", "/v1/me/listings/{id}"): professionals_own(ids(id="listing")),
    ("PATCH", "/v1/me/listings/{id}"): professionals_own(
        with_body(ids(id="listing"), {"intro": "Eco products only."})
    ),
    ("DELETE", "/v1/me/listings/{id}"): professionals_own(
        fresh(World.fresh_listing, fallback="listing")
    ),
    ("POST", "/v1/me/listings/{id}/services"): professionals_own(new_service),
    ("PATCH", "/v1/me/listings/{id}/services/{service_id}"): professionals_own(
        with_body(
            ids(id="listing", service_id="second_service"), {"description": "Bring your own mop."}
        )
    ),
    ("DELETE", "/v1/me/listings/{id}/services/{service_id}"): professionals_own(
        lambda w, a: Request(
            params={
                "id": w.ids["listing"],
                "service_id": w.ids["second_service"] if a == ANONYMOUS else w.fresh_service(),
            }
        )
    ),
    ("PUT", "/v1/me/listings/{id}/service-area"): professionals_own(
        with_body(ids(id="listing"), AREA)
    ),
    ("GET", "/v1/search"): public(search),
    # reviews
    ("POST", "/v1/bookings/{id}/review"): signed_in(
        review, other_client=FORBIDDEN, professional=OK, owner=OK, admin=FORBIDDEN
    ),
    ("POST", "/v1/reviews/{id}/reply"): signed_in(
        with_body(ids(id="review"), {"text": "Thank you!"}),
        other_client=FORBIDDEN,
        professional=OK,
        owner=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("GET", "/v1/professionals/{id}/reviews"): public(ids(id=f"person:{PROFESSIONAL}")),
    ("POST", "/v1/reviews/{id}/reports"): signed_in(
        with_body(ids(id="review"), SPAM),
        other_client=OK,
        professional=OK,
        owner=FORBIDDEN,
        admin=OK,
    ),
    ("GET", "/v1/admin/review-reports"): admin_only(nothing),
    ("POST", "/v1/admin/reviews/{id}/removal"): admin_only(
        after(
            admin_makes_sure("DELETE", REMOVAL),
            with_body(ids(id="moderated_review"), SPAM),
        )
    ),
    ("DELETE", "/v1/admin/reviews/{id}/removal"): admin_only(
        after(admin_makes_sure("POST", REMOVAL, SPAM), ids(id="moderated_review"))
    ),
    ("POST", "/v1/admin/review-reports/{id}/dismissal"): admin_only(
        with_body(shared("review_report", World.fresh_review_report), {"note": "It stays."})
    ),
    # reports of profiles, and suspensions
    ("POST", "/v1/professionals/{id}/reports"): signed_in(
        with_body(ids(id=f"person:{PROFESSIONAL}"), {"reason": "fake_profile"}),
        other_client=OK,
        professional=FORBIDDEN,
        owner=OK,
        admin=OK,
    ),
    ("GET", "/v1/admin/profile-reports"): admin_only(nothing),
    ("POST", "/v1/admin/profile-reports/{id}/dismissal"): admin_only(
        with_body(shared("profile_report", World.fresh_profile_report), {"note": "It stays."})
    ),
    ("POST", "/v1/admin/accounts/{account_id}/suspension"): admin_only(
        after(
            admin_makes_sure("POST", REINSTATEMENT, {}),
            with_body(ids(account_id="suspendable"), SPAM),
        )
    ),
    ("POST", "/v1/admin/accounts/{account_id}/reinstatement"): admin_only(
        after(
            admin_makes_sure("POST", SUSPENSION, SPAM),
            with_body(ids(account_id="suspendable"), {"note": "Appeal heard."}),
        )
    ),
    ("GET", "/v1/admin/suspensions"): admin_only(nothing),
    ("GET", "/v1/clients/{id}/reviews"): signed_in(
        ids(id=f"person:{OWNER}"),
        other_client=FORBIDDEN,
        professional=OK,
        owner=OK,
        admin=FORBIDDEN,
    ),
    # scheduling
    ("PUT", "/v1/me/schedule"): professional_only(lambda w, a: Request(json=SCHEDULE)),
    ("GET", "/v1/me/schedule"): professional_only(nothing),
    ("POST", "/v1/me/time-off"): professional_only(time_off),
    ("GET", "/v1/me/time-off"): professional_only(nothing),
    ("DELETE", "/v1/me/time-off/{id}"): professionals_own(
        fresh(World.fresh_time_off, fallback="time_off")
    ),
    ("GET", "/v1/professionals/{id}/slots"): public(slots),
    ("GET", "/v1/me/calendar"): professional_only(nothing),
    ("PUT", "/v1/me/calendar"): professional_only(lambda w, a: Request(json={"import_url": None})),
    ("POST", "/v1/me/calendar/reset"): professional_only(nothing),
    ("GET", "/v1/calendars/{token}.ics"): public(feed),
    ("GET", "/v1/services/{id}/cancellation-terms"): public(terms),
    # bookings
    ("POST", "/v1/bookings"): mine(book),
    ("GET", "/v1/bookings"): mine(my_bookings),
    ("GET", "/v1/bookings/{id}"): signed_in(
        ids(id="booking"), other_client=HIDDEN, professional=OK, owner=OK, admin=OK
    ),
    ("GET", "/v1/bookings/{id}/cancellation-quote"): signed_in(
        ids(id="booking"), other_client=HIDDEN, professional=OK, owner=OK, admin=OK
    ),
    ("POST", "/v1/bookings/{id}/confirm"): signed_in(
        requested(lambda w, b: {"start": b["proposed_starts"][0]}),
        other_client=HIDDEN,
        professional=OK,
        owner=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("POST", "/v1/bookings/{id}/decline"): signed_in(
        requested(lambda w, b: {"reason": "Fully booked."}),
        other_client=HIDDEN,
        professional=OK,
        owner=FORBIDDEN,
        admin=FORBIDDEN,
    ),
    ("POST", "/v1/bookings/{id}/cancel"): signed_in(
        requested(lambda w, b: {"reason": "Plans changed."}),
        other_client=HIDDEN,
        professional=OK,
        owner=OK,
        admin=OK,
    ),
    ("POST", "/v1/bookings/{id}/reschedule"): signed_in(
        requested(lambda w, b: {"start": iso(w.next_start())}),
        other_client=HIDDEN,
        professional=OK,
        owner=OK,
        admin=FORBIDDEN,
    ),
    ("POST", "/v1/bookings/{id}/reschedule/answer"): signed_in(
        answer_move, other_client=HIDDEN, professional=OK, owner=OK, admin=FORBIDDEN
    ),
    ("POST", "/v1/bookings/{id}/complete"): signed_in(
        over("complete"), other_client=HIDDEN, professional=FORBIDDEN, owner=OK, admin=FORBIDDEN
    ),
    ("POST", "/v1/bookings/{id}/no-show"): signed_in(
        over("no_show"), other_client=HIDDEN, professional=OK, owner=FORBIDDEN, admin=FORBIDDEN
    ),
    ("POST", "/v1/bookings/{id}/dispute"): signed_in(
        over("dispute", {"reason": "Half the rooms were skipped."}),
        other_client=HIDDEN,
        professional=OK,
        owner=OK,
        admin=FORBIDDEN,
    ),
    ("POST", "/v1/bookings/{id}/resolve"): signed_in(
        disputed, other_client=FORBIDDEN, professional=FORBIDDEN, owner=FORBIDDEN, admin=OK
    ),
    # membership and payments
    ("GET", "/v1/plans"): public(nothing),
    ("GET", "/v1/me/membership"): mine(nothing),
    ("PUT", "/v1/me/membership"): mine(lambda w, a: Request(json={"plan_id": "free"})),
    ("DELETE", "/v1/me/membership"): mine(subscribed),
    ("POST", "/v1/me/membership/resume"): mine(subscribed),
    ("GET", "/v1/me/membership/history"): mine(nothing),
    ("GET", "/v1/me/owner-acknowledgment"): public(nothing),
    ("POST", "/v1/me/owner-acknowledgment"): mine(lambda w, a: Request(json={})),
    ("GET", "/v1/me/invoices"): mine(nothing),
    ("POST", "/v1/bookings/{id}/payment"): signed_in(
        pay, other_client=FORBIDDEN, professional=FORBIDDEN, owner=OK, admin=FORBIDDEN
    ),
    ("GET", "/v1/bookings/{id}/payment"): signed_in(
        ids(id="paid_booking"), other_client=HIDDEN, professional=OK, owner=OK, admin=OK
    ),
    ("POST", "/v1/webhooks/stripe"): public(stripe_event),
    ("GET", "/v1/admin/members/{id}/membership"): signed_in(
        ids(id=f"person:{OWNER}"),
        other_client=FORBIDDEN,
        professional=FORBIDDEN,
        owner=OK,
        admin=OK,
    ),
    ("GET", "/v1/admin/members/{id}/owner-status-history"): signed_in(
        ids(id=f"person:{OWNER}"),
        other_client=FORBIDDEN,
        professional=FORBIDDEN,
        owner=OK,
        admin=OK,
    ),
    ("POST", "/v1/admin/members/{id}/suspension"): admin_only(
        with_body(lambda w, a: Request(params={"id": w.new_account()}), {"reason": "Under review."})
    ),
    ("DELETE", "/v1/admin/members/{id}/suspension"): admin_only(suspended),
    ("PUT", "/v1/admin/members/{id}/payout-account"): admin_only(
        lambda w, a: Request(
            params={"id": w.new_account(["professional"])},
            json={"stripe_account_id": f"acct_{uuid.uuid4().hex[:16]}"},
        )
    ),
    ("POST", "/v1/admin/billing/plan-sync"): admin_only(nothing),
    # governance
    ("GET", "/v1/me/member"): signed_in(
        nothing, other_client=HIDDEN, professional=OK, owner=OK, admin=HIDDEN
    ),
    ("GET", "/v1/governance/members"): admin_only(nothing),
    ("GET", "/v1/governance/members/{external_id}"): signed_in(
        ids(external_id=f"person:{OWNER}"),
        other_client=FORBIDDEN,
        professional=FORBIDDEN,
        owner=OK,
        admin=OK,
    ),
    ("POST", "/v1/governance/proposals"): members_and_admins(
        lambda w, a: Request(json={"title": "Paint the office", "kind": "ordinary"})
    ),
    ("GET", "/v1/governance/proposals"): members_and_admins(nothing),
    ("GET", "/v1/governance/proposals/{proposal_id}"): members_and_admins(ids(**PROPOSAL)),
    ("PUT", "/v1/governance/proposals/{proposal_id}/schedule"): signed_in(
        with_body(ids(proposal_id="proposal_draft"), window(days=3)),
        other_client=FORBIDDEN,
        professional=FORBIDDEN,
        owner=OK,
        admin=OK,
    ),
    ("POST", "/v1/governance/proposals/{proposal_id}/votes"): signed_in(
        with_body(ids(**PROPOSAL), {"choice": "yes"}),
        other_client=FORBIDDEN,
        professional=OK,
        owner=OK,
        admin=FORBIDDEN,
    ),
    ("GET", "/v1/governance/proposals/{proposal_id}/ballots"): members_and_admins(
        ids(**CLOSED_PROPOSAL)
    ),
    ("GET", "/v1/governance/proposals/{proposal_id}/audit"): members_and_admins(
        ids(**CLOSED_PROPOSAL)
    ),
    ("POST", "/v1/governance/elections"): admin_only(new_election),
    ("GET", "/v1/governance/elections"): members_and_admins(nothing),
    ("GET", "/v1/governance/elections/{election_id}"): members_and_admins(ids(**ELECTION)),
    ("POST", "/v1/governance/elections/{election_id}/candidates"): signed_in(
        stand, other_client=FORBIDDEN, professional=OK, owner=OK, admin=FORBIDDEN
    ),
    ("DELETE", "/v1/governance/elections/{election_id}/candidates/me"): signed_in(
        withdraw, other_client=HIDDEN, professional=OK, owner=OK, admin=HIDDEN
    ),
    ("POST", "/v1/governance/elections/{election_id}/ballots"): signed_in(
        rank, other_client=FORBIDDEN, professional=OK, owner=OK, admin=FORBIDDEN
    ),
    ("GET", "/v1/governance/elections/{election_id}/result"): members_and_admins(
        ids(**CLOSED_ELECTION)
    ),
    ("GET", "/v1/governance/elections/{election_id}/ballots"): members_and_admins(
        ids(**CLOSED_ELECTION)
    ),
    ("GET", "/v1/governance/elections/{election_id}/ballots.blt"): members_and_admins(
        ids(**CLOSED_ELECTION)
    ),
    ("GET", "/v1/governance/elections/{election_id}/audit"): members_and_admins(
        ids(**CLOSED_ELECTION)
    ),
    ("GET", "/v1/me/patronage"): mine(nothing),
    ("GET", "/v1/governance/patronage/{year}"): admin_only(ids(year="patronage_year")),
    ("POST", "/v1/governance/patronage/{year}/allocation"): admin_only(
        with_body(ids(year="allocation_year"), {"surplus": MONEY, "cash_percent": 30})
    ),
    ("GET", "/v1/governance/allocations/{allocation_id}"): admin_only(
        ids(allocation_id="allocation")
    ),
    # notifications and messaging
    ("GET", "/v1/me/notifications"): mine(nothing),
    ("POST", "/v1/me/notifications/{notification_id}/read"): signed_in(
        ids(notification_id="notification"),
        other_client=HIDDEN,
        professional=HIDDEN,
        owner=OK,
        admin=HIDDEN,
    ),
    ("POST", "/v1/me/notifications/read-all"): mine(nothing),
    ("GET", "/v1/me/notifications/unread-count"): mine(nothing),
    ("GET", "/v1/me/notification-preferences"): mine(nothing),
    ("PUT", "/v1/me/notification-preferences"): mine(
        lambda w, a: Request(json={"messages": {"in_app": True}})
    ),
    ("GET", "/v1/conversations"): mine(nothing),
    ("POST", "/v1/conversations"): mine(write_to),
    ("GET", "/v1/conversations/{conversation_id}"): signed_in(
        ids(**CONVERSATION), other_client=HIDDEN, professional=OK, owner=OK, admin=HIDDEN
    ),
    ("POST", "/v1/conversations/{conversation_id}/messages"): signed_in(
        with_body(ids(**CONVERSATION), {"body": "See you then."}),
        other_client=HIDDEN,
        professional=OK,
        owner=OK,
        admin=HIDDEN,
    ),
    ("POST", "/v1/conversations/{conversation_id}/read"): signed_in(
        ids(**CONVERSATION), other_client=HIDDEN, professional=OK, owner=OK, admin=HIDDEN
    ),
    ("POST", "/v1/conversations/{conversation_id}/messages/{message_id}/reports"): signed_in(
        with_body(ids(**CONVERSATION, message_id="reported_message"), SPAM),
        other_client=HIDDEN,
        professional=OK,
        owner=FORBIDDEN,
        admin=HIDDEN,
    ),
    ("GET", "/v1/admin/message-reports"): admin_only(nothing),
    ("POST", "/v1/admin/messages/{id}/withholding"): admin_only(
        after(
            admin_makes_sure("DELETE", WITHHOLDING),
            with_body(ids(id="moderated_message"), SPAM),
        )
    ),
    ("DELETE", "/v1/admin/messages/{id}/withholding"): admin_only(
        after(admin_makes_sure("POST", WITHHOLDING, SPAM), ids(id="moderated_message"))
    ),
    ("POST", "/v1/admin/message-reports/{id}/dismissal"): admin_only(
        with_body(shared("message_report", World.fresh_message_report), {"note": "It stays."})
    ),
    ("PUT", "/v1/me/blocks/{account_id}"): mine(ids(account_id="blockable")),
    ("DELETE", "/v1/me/blocks/{account_id}"): mine(unblock),
    ("GET", "/v1/me/blocks"): mine(nothing),
    ("GET", "/v1/admin/email-dead-letters"): admin_only(nothing),
    ("POST", "/v1/admin/email-dead-letters/replay"): admin_only(
        lambda w, a: Request(json={"delivery_ids": []})
    ),
}
