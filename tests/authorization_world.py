"""A small real world on the shared platform, built through the gateway, for the authorisation
matrix (`tests/integration/test_gateway_authorization_matrix.py`) and the fuzzing runs
(`tests/integration/test_gateway_fuzzing.py`).

Five actors look at it: `anonymous` (no token), `other_client` (a client with no part in
anything), `professional` (the professional of the listing, of the bookings and of the
conversation), `owner` (the client of those bookings and the conversation, and the author of
the proposals) and `admin` (an administrator of the cooperative).

What cannot be reached through the gateway alone is reached the way the other integration
tests reach it: the professional and the owner become members in good standing from
billing-shaped `owner_status_changed` events (checked against billing's own event schema),
patronage is recorded and the governance timetable run by governance's admin RPC, and the token
of a password reset link is read from profiles' `password_reset_requested` on the broker (the
email carrying it is notifications' business). Time moves
with the platform clock: a few seconds forward to open and close ballots, and two days back
while the professional books the owner for bookings already over by now (access tokens are
judged by that clock, so the professional logs in again while it is moved back, and everyone's
tokens work again once it is put back).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import stripe
from kombu import Connection, Exchange, Queue
from local_platform import Platform
from loconomics_billing.schemas import OwnerStatusChangedEvent
from loconomics_billing.settings import DEVELOPMENT_WEBHOOK_SECRET
from loconomics_plumbing.clock import move_clock
from loconomics_plumbing.validation import LAST_YEAR
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from platform_client import ApiClient, Person
from polling import wait_for
from stripe_local import browser_card, stripe_client

ANONYMOUS = "anonymous"
OTHER_CLIENT = "other_client"
PROFESSIONAL = "professional"
OWNER = "owner"
ADMIN = "admin"
ACTORS = (ANONYMOUS, OTHER_CLIENT, PROFESSIONAL, OWNER, ADMIN)

ROLES_OF = {OTHER_CLIENT: ["client"], PROFESSIONAL: ["professional"], OWNER: ["client"]}
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCHEDULE = {
    "time_zone": "UTC",
    "weekly": {day: [{"start": "00:00", "end": "24:00"}] for day in WEEK},
    "advance_notice_hours": 0,
    "buffer_minutes": 0,
    "slot_increment_minutes": 60,
}
HOUR_OF_CLEANING = {
    "name": "One-hour clean",
    "pricing_type": "service",
    "duration_minutes": 60,
    "price": {"amount_cents": 5000, "currency": "USD"},
}
AREA = {"lat": 46.8139, "lng": -71.2080, "radius_km": 12}
PAST = timedelta(days=2)
PAST_BOOKINGS = {
    "complete": 4,
    "no_show": 4,
    "dispute": 4,
    "resolve": 4,
    "review": 1,
    "reply": 1,
    "moderate": 1,
}
"""Bookings that are over, per use: one per signed-in actor for each destructive action."""
VOTING_LEAD = timedelta(seconds=15)
VOTING_SPAN = timedelta(seconds=10)
"""Ballots opened and closed during the build, by moving the platform clock."""


def expect(answer, status: int) -> dict:
    assert answer.status_code == status, f"{answer.request.method} {answer.url}: {answer.text}"
    return answer.json() if answer.content else {}


@contextmanager
def built_world(platform: Platform, admin: Person) -> Iterator[World]:
    """A world built on `platform`; its members withdraw when the block ends."""
    world = World(platform, admin)
    try:
        yield world.build()
    finally:
        world.leave()


def iso(moment: datetime) -> str:
    return moment.isoformat()


class World:
    """The people and resources the matrix points its requests at, and fresh ones on demand."""

    def __init__(self, platform: Platform, admin: Person):
        self.platform = platform
        self.api = ApiClient(platform.gateway_url)
        self.people: dict[str, Person] = {}
        self.ids: dict[str, str] = {}
        self.admin_fixture = admin
        self._hours = itertools.count()
        self._past: dict[str, list[str]] = {}
        self._titles: Iterator[str] = iter(())
        self._stand_ins: dict[str, Person] = {}
        self._stripe: stripe.StripeClient | None = None
        self.members_made = False
        self.dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri, "serializer": "json"})

    # people

    def token(self, actor: str) -> str | None:
        return None if actor == ANONYMOUS else self.people[actor].token

    def person(self, actor: str) -> Person:
        """Whose credentials the actor types in: anonymous callers log in as the other client."""
        return self.people[OTHER_CLIENT if actor == ANONYMOUS else actor]

    def log_in(self, person: Person) -> dict:
        answer = self.api.post(
            "/v1/sessions", json={"email": person.email, "password": person.password}
        )
        return expect(answer, 201)

    def signed_in_again(self, person: Person) -> Person:
        token = self.log_in(person)["access_token"]
        return Person(person.account_id, person.email, person.password, token)

    def new_account(self, roles: list[str] | None = None) -> str:
        """An account nobody signs in to: a target for the administrators' routes."""
        answer = self.api.post(
            "/v1/accounts",
            json={
                "email": f"{uuid.uuid4().hex[:12]}@example.org",
                "password": "correct horse battery staple",
                "name": "Somebody Else",
                "roles": roles or ["client"],
            },
        )
        return expect(answer, 201)["id"]

    def grant_admin(self, person: Person) -> Person:
        self.platform.run_module("loconomics_profiles.admin", "grant-admin", person.email)
        return self.signed_in_again(person)

    def reset_token(self, email: str) -> str:
        """Ask for a password reset link for `email`; the token profiles announces for it."""
        return self.announced_token(
            "password_reset_requested",
            "reset_token",
            {"email": email},
            lambda: expect(self.api.post("/v1/password-resets", json={"email": email}), 202),
        )

    def confirmation_token(self, name: str) -> str:
        """Sign up a stand-in as `name`: the token of the link confirming its address."""
        return self.announced_token(
            "email_confirmation_requested",
            "confirmation_token",
            {"name": name},
            lambda: self.api.sign_up(name=name),
        )

    def announced_token(
        self, event_type: str, token_field: str, about: dict, act: Callable[[], object]
    ) -> str:
        """Do `act`, then read the token profiles announces with `event_type` for the account
        whose event has the fields `about` (the email carrying it is notifications' business)."""
        exchange = Exchange("profiles.events", type="topic", durable=True)
        queue = Queue(
            f"authorisation-matrix-tokens-{uuid.uuid4().hex[:6]}",
            exchange=exchange,
            routing_key=event_type,
            auto_delete=True,
        )
        with Connection(self.platform.amqp_uri) as connection:
            announced = queue(connection.default_channel)
            announced.declare()
            act()

            def token() -> str | None:
                while (message := announced.get(no_ack=True)) is not None:
                    payload = json.loads(message.body)
                    if all(payload.get(key) == value for key, value in about.items()):
                        return payload[token_field]
                return None

            return wait_for(token, f"profiles to announce {event_type} for {about}")

    # time

    def clock_offset(self) -> timedelta:
        path = Path(self.platform.env()["LOCONOMICS_CLOCK_FILE"])
        text = path.read_text().strip() if path.exists() else ""
        return timedelta(seconds=float(text or 0))

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset()

    @contextmanager
    def clock_moved(self, delta: timedelta):
        before = self.clock_offset()
        move_clock(self.platform.env()["LOCONOMICS_CLOCK_FILE"], before + delta)
        try:
            yield
        finally:
            move_clock(self.platform.env()["LOCONOMICS_CLOCK_FILE"], before)

    def next_start(self) -> datetime:
        """A future hour nobody has booked yet (every hour is a slot of the schedule)."""
        first = (self.now() + timedelta(days=1, hours=2)).replace(minute=0, second=0, microsecond=0)
        return first + timedelta(hours=next(self._hours))

    # RPC, for what the gateway does not offer

    @contextmanager
    def governance(self):
        context = {"user_id": self.people[ADMIN].account_id, "roles": "admin,client"}
        config = {"AMQP_URI": self.platform.amqp_uri}
        with ClusterRpcProxy(config, context_data=context, timeout=15) as proxy:
            yield proxy.governance

    def owner_status_changed(self, person: Person, before: str, after: str, at: datetime) -> None:
        payload = {
            "event_id": uuid.uuid4().hex,
            "occurred_at": iso(datetime.now(UTC)),
            "user_id": person.account_id,
            "from": before,
            "to": after,
            "plan_id": "owner-growth-monthly",
            "reason": "subscription_updated",
            "changed_at": iso(at),
        }
        assert OwnerStatusChangedEvent().validate(payload) == {}
        self.dispatch("billing", "owner_status_changed", payload)

    # cards, from localstripe as Stripe.js makes them

    def card(self) -> str:
        if self._stripe is None:
            self._stripe = stripe_client(self.platform)
        return browser_card(self.platform, self._stripe)

    @property
    def webhook_secret(self) -> str:
        """The secret billing checks Stripe's signatures with (the platform's environment)."""
        return self.platform.env().get("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)

    # bookings

    def request_booking(self, client: Person | None = None) -> dict:
        """The owner (or `client`) asks for a fresh hour of the cleaning service."""
        client = client or self.people[OWNER]
        answer = self.api.post(
            "/v1/bookings",
            token=client.token,
            json={"service_id": self.ids["service"], "proposed_starts": [iso(self.next_start())]},
        )
        return expect(answer, 201)

    def confirmed_booking(self, pro: Person | None = None) -> dict:
        """The professional books the owner at a fresh hour: confirmed at once."""
        pro = pro or self.people[PROFESSIONAL]
        answer = self.api.post(
            "/v1/bookings",
            token=pro.token,
            json={
                "service_id": self.ids["service"],
                "start": iso(self.next_start()),
                "client_id": self.people[OWNER].account_id,
            },
        )
        return expect(answer, 201)

    def past_booking(self, use: str) -> str:
        """A booking already over (confirmed two days ago), never handed out twice."""
        return self._past[use].pop()

    def disputed_booking(self) -> str:
        booking_id = self.past_booking("resolve")
        answer = self.api.post(
            f"/v1/bookings/{booking_id}/dispute",
            token=self.people[OWNER].token,
            json={"reason": "The oven was not cleaned."},
        )
        expect(answer, 200)
        return booking_id

    def reschedule_proposed_by(self, side: str) -> str:
        """A confirmed booking with a move proposed by `side`, waiting for the other side."""
        booking_id = self.confirmed_booking()["id"]
        answer = self.api.post(
            f"/v1/bookings/{booking_id}/reschedule",
            token=self.people[side].token,
            json={"start": iso(self.next_start())},
        )
        assert expect(answer, 200)["pending_reschedule"]["proposed_by"] == (
            "client" if side == OWNER else "professional"
        )
        return booking_id

    # the professional's shop

    def spare_title(self) -> str:
        return next(self._titles)

    def fresh_listing(self) -> str:
        answer = self.api.post(
            "/v1/me/listings",
            token=self.people[PROFESSIONAL].token,
            json={"job_title_id": self.spare_title()},
        )
        return expect(answer, 201)["id"]

    def fresh_service(self) -> str:
        answer = self.api.post(
            f"/v1/me/listings/{self.ids['listing']}/services",
            token=self.people[PROFESSIONAL].token,
            json={**HOUR_OF_CLEANING, "name": f"Extra {uuid.uuid4().hex[:6]}"},
        )
        return expect(answer, 201)["id"]

    def fresh_credential(self) -> str:
        answer = self.api.post(
            "/v1/me/credentials",
            token=self.people[PROFESSIONAL].token,
            json={
                "kind": "certification",
                "name": "Green cleaning",
                "number": uuid.uuid4().hex[:10],
                "issuer": "Green Seal",
                "state": "CA",
            },
        )
        return expect(answer, 201)["id"]

    def fresh_time_off(self) -> str:
        start = self.now() + timedelta(days=300 + next(self._hours))
        answer = self.api.post(
            "/v1/me/time-off",
            token=self.people[PROFESSIONAL].token,
            json={"start": iso(start), "end": iso(start + timedelta(hours=2))},
        )
        return expect(answer, 201)["id"]

    def fresh_title_proposal(self) -> str:
        answer = self.api.post(
            "/v1/job-titles",
            token=self.people["proposer"].token,
            json={"name": f"Aquascaper {uuid.uuid4().hex[:8]}", "category": "outdoor"},
        )
        return expect(answer, 201)["id"]

    def calendar_token(self) -> str:
        answer = self.api.get("/v1/me/calendar", token=self.people[PROFESSIONAL].token)
        url = expect(answer, 200)["export_url"]
        return url.rsplit("/", 1)[1].removesuffix(".ics")

    # membership

    def subscribed_stand_in(self, actor: str) -> Person:
        """Someone of the actor's kind with a live owner subscription of their own.

        Cancelling and resuming need a subscription; giving one to the world's professional
        or owner would make them trial owners and take them out of good standing.
        """
        if actor not in self._stand_ins:
            roles = ["client"] if actor == ADMIN else ROLES_OF[actor]
            person = self.api.sign_up(roles=roles, name=f"Stand-in {actor}")
            if actor == ADMIN:
                person = self.grant_admin(person)
            answer = self.api.put(
                "/v1/me/membership",
                token=person.token,
                json={"plan_id": "owner-growth-monthly", "payment_method_id": self.card()},
            )
            assert "subscribed" in expect(answer, 200)["actions"]
            self._stand_ins[actor] = person
        return self._stand_ins[actor]

    # governance

    def nominate(self, person: Person, election_id: str) -> dict:
        answer = self.api.post(
            f"/v1/governance/elections/{election_id}/candidates",
            token=person.token,
            json={"statement": "Fair pay, open books."},
        )
        return expect(answer, 201)

    def propose(self, author: Person, title: str, window: tuple[datetime, datetime] | None) -> str:
        body: dict = {"title": title, "kind": "ordinary"}
        if window:
            body.update(opens_at=iso(window[0]), closes_at=iso(window[1]))
        answer = self.api.post("/v1/governance/proposals", token=author.token, json=body)
        return expect(answer, 201)["proposal_id"]

    def call_election(
        self, title: str, nominations_close: datetime, opens: datetime, closes: datetime
    ) -> str:
        answer = self.api.post(
            "/v1/governance/elections",
            token=self.people[ADMIN].token,
            json={
                "title": title,
                "seats": 1,
                "nominations_close_at": iso(nominations_close),
                "opens_at": iso(opens),
                "closes_at": iso(closes),
            },
        )
        return expect(answer, 201)["election_id"]

    def status_of(self, kind: str, ballot_id: str) -> str:
        answer = self.api.get(f"/v1/governance/{kind}/{ballot_id}", token=self.people[ADMIN].token)
        return expect(answer, 200)["status"]

    def run_timetable_until(self, kind: str, ballot_ids: list[str], status: str) -> None:
        def reached() -> bool:
            with self.governance() as governance:
                governance.run_timetable()
            return all(self.status_of(kind, ballot_id) == status for ballot_id in ballot_ids)

        wait_for(reached, f"{kind} {ballot_ids} to be {status}")

    # building it

    def build(self) -> World:
        self._meet_the_people()
        self._make_members()
        self._hold_ballots(*self._put_ballots())
        self._open_the_shop()
        self._book_the_past()
        self._book_and_talk()
        self._review_past_bookings()
        self._make_things_to_moderate()
        self._record_patronage()
        return self

    def _meet_the_people(self) -> None:
        for actor in (OTHER_CLIENT, PROFESSIONAL, OWNER):
            self.people[actor] = self.api.sign_up(roles=ROLES_OF[actor], name=f"The {actor}")
        self.people["proposer"] = self.api.sign_up(roles=["professional"], name="A proposer")
        self.people[ADMIN] = self.signed_in_again(self.admin_fixture)

    def _make_members(self) -> None:
        self.members_made = True
        since = self.now() - timedelta(days=30)
        for actor in (PROFESSIONAL, OWNER):
            self.owner_status_changed(self.people[actor], "not_yet_owner", "active", since)
        for actor in (PROFESSIONAL, OWNER):
            token = self.people[actor].token

            def standing(token=token) -> bool:
                answer = self.api.get("/v1/me/member", token=token)
                return answer.status_code == 200 and answer.json()["in_good_standing"]

            wait_for(standing, f"the {actor} to be a member in good standing")
        pro = self.people[PROFESSIONAL]
        wait_for(
            lambda: self.api.get("/v1/me", token=pro.token).json()["owner_status"] == "active",
            "profiles to learn the professional is an active owner",
        )

    def leave(self) -> None:
        """The members withdraw, so later rolls and quorums are not theirs."""
        if not self.members_made:
            return
        for actor in (PROFESSIONAL, OWNER):
            self.owner_status_changed(self.people[actor], "active", "cancelled", self.now())
        for actor in (PROFESSIONAL, OWNER):
            token = self.people[actor].token
            wait_for(
                lambda token=token: (
                    self.api.get("/v1/me/member", token=token).json()["status"] == "withdrawn"
                ),
                f"the {actor} to withdraw",
            )

    def _open_the_shop(self) -> None:
        pro = self.people[PROFESSIONAL]
        titles = expect(self.api.get("/v1/job-titles", params={"limit": 100}), 200)["items"]
        cleaner = next(t for t in titles if t["name"].lower() == "house cleaner")
        self.ids["job_title"] = cleaner["id"]
        self.criteria = list(cleaner["criteria"])
        self._titles = iter([t["id"] for t in titles if t["id"] != cleaner["id"]])
        expect(
            self.api.patch(
                "/v1/me/profile", token=pro.token, json={"bio": "Spotless homes since 2010."}
            ),
            200,
        )
        listing = self.api.post(
            "/v1/me/listings", token=pro.token, json={"job_title_id": cleaner["id"]}
        )
        self.ids["listing"] = expect(listing, 201)["id"]
        service = self.api.post(
            f"/v1/me/listings/{self.ids['listing']}/services",
            token=pro.token,
            json=HOUR_OF_CLEANING,
        )
        self.ids["service"] = expect(service, 201)["id"]
        expect(
            self.api.put(
                f"/v1/me/listings/{self.ids['listing']}/service-area", token=pro.token, json=AREA
            ),
            200,
        )
        expect(self.api.put("/v1/me/schedule", token=pro.token, json=SCHEDULE), 200)
        wait_for(
            lambda: (
                self.api.get(f"/v1/me/listings/{self.ids['listing']}", token=pro.token).json()[
                    "missing"
                ]
                == []
            ),
            "booking's schedule_changed to reach profiles",
        )
        expect(
            self.api.patch(
                f"/v1/me/listings/{self.ids['listing']}", token=pro.token, json={"status": "on"}
            ),
            200,
        )
        self.ids["second_service"] = self.fresh_service()
        start = self.next_start()
        window = {
            "service_id": self.ids["service"],
            "from": iso(start),
            "to": iso(start + timedelta(hours=3)),
        }
        wait_for(
            lambda: (
                self.api.get(f"/v1/professionals/{pro.account_id}/slots", params=window).status_code
                == 200
            ),
            "booking to learn the published listing",
        )
        self.ids["credential"] = self.fresh_credential()
        self.ids["time_off"] = self.fresh_time_off()

    def _book_the_past(self) -> None:
        """Bookings over by now: made while the platform clock is two days behind."""
        with self.clock_moved(-PAST):
            pro = self.signed_in_again(self.people[PROFESSIONAL])
            first = (self.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
            hours = itertools.count()
            for use, count in PAST_BOOKINGS.items():
                self._past[use] = []
                for _ in range(count):
                    start = first + timedelta(hours=next(hours))
                    answer = self.api.post(
                        "/v1/bookings",
                        token=pro.token,
                        json={
                            "service_id": self.ids["service"],
                            "start": iso(start),
                            "client_id": self.people[OWNER].account_id,
                        },
                    )
                    self._past[use].append(expect(answer, 201)["id"])

    def _put_ballots(self) -> tuple[datetime, datetime]:
        owner, pro = self.people[OWNER], self.people[PROFESSIONAL]
        opens = self.now() + VOTING_LEAD
        closes = opens + VOTING_SPAN
        later = opens + timedelta(days=1)
        self.ids["election_open"] = self.call_election("Board 2027", opens, opens, later)
        self.ids["election_closed"] = self.call_election("Board 2026", opens, opens, closes)
        self.ids["election_nominating"] = self.call_election(
            "Board 2028", later, later, later + timedelta(days=1)
        )
        for election in ("election_open", "election_closed"):
            for person in (pro, owner):
                self.nominate(person, self.ids[election])
        self.ids["proposal_open"] = self.propose(owner, "Adopt the budget", (opens, later))
        self.ids["proposal_closed"] = self.propose(owner, "Adopt the bylaws", (opens, closes))
        self.ids["proposal_draft"] = self.propose(owner, "Open a second office", None)
        return opens, closes

    def _book_and_talk(self) -> None:
        owner, pro = self.people[OWNER], self.people[PROFESSIONAL]
        self.ids["booking"] = self.request_booking()["id"]
        self.ids["paid_booking"] = self.request_booking()["id"]
        wait_for(
            lambda: (
                self.api.get(
                    f"/v1/bookings/{self.ids['paid_booking']}/payment", token=pro.token
                ).status_code
                == 200
            ),
            "billing to learn the booking",
        )

        def started() -> str | None:
            answer = self.api.post(
                "/v1/conversations",
                token=owner.token,
                json={"to": pro.account_id, "subject": "Oven", "body": "Do you clean ovens?"},
            )
            return answer.json()["conversation"]["id"] if answer.status_code == 201 else None

        self.ids["conversation"] = wait_for(started, "notifications to know both sides")

        def a_notification() -> str | None:
            items = self.api.get("/v1/me/notifications", token=owner.token).json()["items"]
            return items[0]["id"] if items else None

        self.ids["notification"] = wait_for(a_notification, "a notification for the owner")

    def review_body(self, actor: str) -> dict:
        criteria = self.criteria if actor == OWNER else ["communication", "punctuality", "respect"]
        return {"ratings": {criterion: 5 for criterion in criteria}, "text": "Lovely to work with."}

    def _review_past_bookings(self) -> None:
        owner, other = self.people[OWNER], self.people[OTHER_CLIENT]
        to_review = self.ids["reviewed_booking"] = self.past_booking("review")
        to_reply, to_moderate = self.past_booking("reply"), self.past_booking("moderate")
        for booking_id in (to_review, to_reply, to_moderate):
            expect(self.api.post(f"/v1/bookings/{booking_id}/complete", token=owner.token), 200)
        self.ids["review"] = self._reviewed_by_both(to_reply)
        self.ids["moderated_review"] = self._reviewed_by_both(to_moderate)
        wait_for(
            lambda: (
                self.api.post(
                    f"/v1/bookings/{to_review}/review",
                    token=other.token,
                    json=self.review_body(OWNER),
                ).status_code
                == 403
            ),
            "profiles to learn the second completion",
        )

    def _reviewed_by_both(self, booking_id: str) -> str:
        """The owner's review of the professional, published: both sides reviewed."""

        def reviewed() -> dict | None:
            answer = self.api.post(
                f"/v1/bookings/{booking_id}/review",
                token=self.people[OWNER].token,
                json=self.review_body(OWNER),
            )
            return answer.json() if answer.status_code == 201 else None

        review_id = wait_for(reviewed, "profiles to learn the completion")["id"]
        expect(
            self.api.post(
                f"/v1/bookings/{booking_id}/review",
                token=self.people[PROFESSIONAL].token,
                json=self.review_body(PROFESSIONAL),
            ),
            201,
        )
        return review_id

    # reports, moderation and blocks

    def _make_things_to_moderate(self) -> None:
        """A member to block nobody talks to, and the owner's messages to the professional."""
        proposer = self.people["proposer"]
        blockable = self.ids["blockable"] = self.new_account()
        wait_for(
            lambda: (
                self.api.put(f"/v1/me/blocks/{blockable}", token=proposer.token).status_code == 200
            ),
            "notifications to know the member to block",
        )
        expect(self.api.delete(f"/v1/me/blocks/{blockable}", token=proposer.token), 204)
        conversation = self.ids["conversation"]
        answer = self.api.get(
            f"/v1/conversations/{conversation}", token=self.people[PROFESSIONAL].token
        )
        self.ids["reported_message"] = expect(answer, 200)["messages"]["items"][-1]["id"]
        self.ids["moderated_message"] = self.owners_message()
        self.ids["suspendable"] = self.new_account(["professional"])

    def owners_message(self) -> str:
        answer = self.api.post(
            f"/v1/conversations/{self.ids['conversation']}/messages",
            token=self.people[OWNER].token,
            json={"body": "One more thing."},
        )
        return expect(answer, 201)["id"]

    def fresh_review_report(self) -> str:
        """An open report of the world's review, by a newcomer."""
        reporter = self.api.sign_up(name="A reporter")
        answer = self.api.post(
            f"/v1/reviews/{self.ids['review']}/reports",
            token=reporter.token,
            json={"reason": "spam"},
        )
        return expect(answer, 201)["id"]

    def fresh_profile_report(self) -> str:
        """An open report of the world's professional's profile, by a newcomer."""
        reporter = self.api.sign_up(name="A reporter")
        answer = self.api.post(
            f"/v1/professionals/{self.people[PROFESSIONAL].account_id}/reports",
            token=reporter.token,
            json={"reason": "scam"},
        )
        return expect(answer, 201)["id"]

    def fresh_message_report(self) -> str:
        """An open report, by the professional, of a new message from the owner."""
        message_id = self.owners_message()
        answer = self.api.post(
            f"/v1/conversations/{self.ids['conversation']}/messages/{message_id}/reports",
            token=self.people[PROFESSIONAL].token,
            json={"reason": "spam"},
        )
        return expect(answer, 201)["id"]

    def _record_patronage(self) -> None:
        # Far-future years no other test touches, up to the last year an instant may have:
        # the second year may be the first plus one, so the first stays below LAST_YEAR.
        years = sorted({2200 + uuid.uuid4().int % (LAST_YEAR - 2200) for _ in range(2)})
        while len(years) < 2:
            years.append(years[0] + 1)
        self.ids["patronage_year"], self.ids["allocation_year"] = (str(y) for y in years)
        with self.governance() as governance:
            for year in years:
                governance.record_patronage(
                    external_id=self.people[PROFESSIONAL].account_id,
                    occurred_at=f"{year}-06-01T12:00:00+00:00",
                    source_event_id=f"authorisation-matrix-{uuid.uuid4().hex}",
                    dues_cents=1900,
                    currency="USD",
                )
        answer = self.api.post(
            f"/v1/governance/patronage/{self.ids['patronage_year']}/allocation",
            token=self.people[ADMIN].token,
            json={"surplus": {"amount_cents": 100_000, "currency": "USD"}, "cash_percent": 30},
        )
        self.ids["allocation"] = expect(answer, 201)["allocation_id"]

    def _hold_ballots(self, opens: datetime, closes: datetime) -> None:
        """Open every ballot, vote on those to close, close them: the clock jumps, nobody waits.

        The jumps are seconds long, well inside the access tokens' lifetime.
        """
        with self.clock_moved(opens - self.now() + timedelta(seconds=1)):
            self.run_timetable_until(
                "elections", [self.ids["election_open"], self.ids["election_closed"]], "open"
            )
            self.run_timetable_until(
                "proposals", [self.ids["proposal_open"], self.ids["proposal_closed"]], "open"
            )
            election = self.ids["election_closed"]
            for actor in (PROFESSIONAL, OWNER):
                token = self.people[actor].token
                ranking = self.candidates("election_closed")
                expect(
                    self.api.post(
                        f"/v1/governance/elections/{election}/ballots",
                        token=token,
                        json={"ranking": ranking},
                    ),
                    201,
                )
                expect(
                    self.api.post(
                        f"/v1/governance/proposals/{self.ids['proposal_closed']}/votes",
                        token=token,
                        json={"choice": "yes"},
                    ),
                    201,
                )
            with self.clock_moved(closes - self.now() + timedelta(seconds=1)):
                self.run_timetable_until("elections", [election], "closed")
                self.run_timetable_until("proposals", [self.ids["proposal_closed"]], "closed")

    def candidates(self, election_key: str) -> list[str]:
        answer = self.api.get(
            f"/v1/governance/elections/{self.ids[election_key]}", token=self.people[ADMIN].token
        )
        return [c["candidate_id"] for c in expect(answer, 200)["candidates"]]
