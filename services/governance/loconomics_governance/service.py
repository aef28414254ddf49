"""The governance nameko service: entrypoints only; the rules live in `domain`.

What feeds the register is configuration (`settings`): the generic RPC contract is always
there; Loconomics' billing, booking and profiles events are consumed only with
`GOVERNANCE_PLATFORM_MAPPING=loconomics`; `member_status_changed` and `member_departed`
events are consumed from the services named in `GOVERNANCE_MEMBER_EVENTS_FROM`. nameko
reads entrypoints from the class, so the feeds are mixed in when this module is imported.
"""

from __future__ import annotations

from loconomics_plumbing import clock
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.errors import field_error
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from loconomics_plumbing.validation import load
from prometheus_client import Counter

from . import platform_mapping
from .domain import (
    contacts,
    departures,
    elections,
    member_data,
    members,
    patronage,
    proposals,
    timetable,
)
from .models import Base
from .schemas import (
    AllocationArgs,
    AllocationSchema,
    BallotReceiptSchema,
    CandidateSchema,
    CastBallotArgs,
    CastVoteArgs,
    CreateElectionArgs,
    CreateProposalArgs,
    DepartureRecordedSchema,
    ElectionArgs,
    ElectionPageSchema,
    ElectionResultSchema,
    ElectionSchema,
    ListElectionsArgs,
    ListMembersArgs,
    ListProposalsArgs,
    MemberArgs,
    MemberDataSchema,
    MemberDepartedEvent,
    MemberDetailSchema,
    MemberPageSchema,
    MemberRecordedSchema,
    MemberStatusReportEvent,
    MyMembershipSchema,
    MyPatronageSchema,
    NoArgs,
    NominateArgs,
    PatronageRecordedSchema,
    PatronageYearArgs,
    ProposalArgs,
    ProposalPageSchema,
    ProposalSchema,
    ProposeAllocationArgs,
    PublishedBallotsSchema,
    PublishedVotesSchema,
    RecordDepartureArgs,
    RecordMemberStatusArgs,
    RecordPatronageArgs,
    RollAuditSchema,
    ScheduleProposalArgs,
    TimetableRunSchema,
    VoteReceiptSchema,
    YearPatronageSchema,
)
from .settings import GovernanceSettings

SETTINGS = GovernanceSettings.from_env()
POLICY = SETTINGS.policy

VOTES_CAST = Counter(
    "governance_votes_cast_total",
    "Votes and ranked ballots accepted (never who cast them, never how).",
    ["ballot"],
)
BALLOTS_CLOSED = Counter(
    "governance_ballots_closed_total", "Proposals and elections closed and counted.", ["ballot"]
)


class LoconomicsFeeds:
    """Loconomics' own events onto the generic contracts (`platform_mapping`)."""

    @handles("billing", "owner_status_changed")
    def on_owner_status_changed(self, payload: dict) -> None:
        report = platform_mapping.member_report_from_owner_status_changed(payload)
        report = contacts.with_contact(self.db.session, report)
        members.record_member_status(self.db.session, self.db.emit, now=clock.now(), **report)

    @handles("billing", "dues_paid")
    def on_dues_paid(self, payload: dict) -> None:
        patronage.record_patronage(
            self.db.session,
            now=clock.now(),
            policy=POLICY,
            **platform_mapping.patronage_from_dues_paid(payload),
        )

    @handles("booking", "booking_completed")
    def on_booking_completed(self, payload: dict) -> None:
        patronage.record_patronage(
            self.db.session,
            now=clock.now(),
            policy=POLICY,
            **platform_mapping.patronage_from_booking_completed(payload),
        )

    @handles("profiles", "account_created")
    def on_account_created(self, payload: dict) -> None:
        contact = platform_mapping.contact_from_account(payload)
        contacts.remember_contact(self.db.session, now=clock.now(), **contact)

    @handles("profiles", "account_changed")
    def on_account_changed(self, payload: dict) -> None:
        contact = platform_mapping.contact_from_account(payload)
        contacts.remember_contact(self.db.session, now=clock.now(), **contact)

    @handles("profiles", "account_closed")
    def on_account_closed(self, payload: dict) -> None:
        departure = platform_mapping.departure_from_account_closed(payload)
        departures.record_departure(self.db.session, self.db.emit, now=clock.now(), **departure)


def member_events_feed(source: str) -> type:
    """A mixin consuming `source`'s `member_status_changed` and `member_departed`: the
    event form of the register's two contracts."""

    def on_member_status_changed(self, payload: dict) -> None:
        report = load(MemberStatusReportEvent(), payload)
        since = report["status_since"] or report["occurred_at"]
        if since is None:
            raise field_error("status_since", "give status_since or occurred_at")
        members.record_member_status(
            self.db.session,
            self.db.emit,
            external_id=report["external_id"],
            status=report["status"],
            occurred_at=since,
            name=report["name"],
            email=report["email"],
            source_event_id=f"member_status_changed:{source}:{report['event_id']}",
            now=clock.now(),
        )

    def on_member_departed(self, payload: dict) -> None:
        report = load(MemberDepartedEvent(), payload)
        left_at = report["left_at"] or report["occurred_at"]
        if left_at is None:
            raise field_error("left_at", "give left_at or occurred_at")
        departures.record_departure(
            self.db.session,
            self.db.emit,
            external_id=report["external_id"],
            left_at=left_at,
            source_event_id=f"member_departed:{source}:{report['event_id']}",
            now=clock.now(),
        )

    on_member_status_changed.__name__ = f"on_member_status_changed_from_{source}"
    on_member_departed.__name__ = f"on_member_departed_from_{source}"
    handlers = (
        handles(source, "member_status_changed")(on_member_status_changed),
        handles(source, "member_departed")(on_member_departed),
    )
    return type(
        f"MemberEventsFrom_{source}", (), {handler.__name__: handler for handler in handlers}
    )


def feeds(settings: GovernanceSettings) -> tuple[type, ...]:
    mixins = [member_events_feed(source) for source in settings.member_events_from]
    if settings.maps_loconomics_events:
        mixins.append(LoconomicsFeeds)
    return tuple(mixins)


class GovernanceService(Health, *feeds(SETTINGS)):
    name = "governance"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    telemetry = Telemetry()

    # The member register

    @rpc
    def record_member_status(self, **fields) -> dict:
        """The generic contract: the feeding system (an administrator caller) reports a status."""
        self.caller.require_admin()
        data = load(RecordMemberStatusArgs(), fields)
        member = members.record_member_status(
            self.db.session, self.db.emit, now=clock.now(), **data
        )
        return MemberRecordedSchema().dump(member)

    @rpc
    def record_departure(self, **fields) -> dict:
        """The generic contract: the feeding system reports that someone left and asks to be
        forgotten (the register keeps the entry and name, erases the address)."""
        self.caller.require_admin()
        data = load(RecordDepartureArgs(), fields)
        departure = departures.record_departure(
            self.db.session, self.db.emit, now=clock.now(), **data
        )
        return DepartureRecordedSchema().dump(departure)

    @rpc
    def my_membership(self, **fields) -> dict:
        load(NoArgs(), fields)
        return MyMembershipSchema().dump(members.my_membership(self.db.session, self.caller))

    @rpc
    def get_member(self, **fields) -> dict:
        data = load(MemberArgs(), fields)
        member = members.get_member(self.db.session, self.caller, data["external_id"])
        return MemberDetailSchema().dump(member)

    @rpc
    def list_members(self, **fields) -> dict:
        data = load(ListMembersArgs(), fields)
        return MemberPageSchema().dump(members.list_members(self.db.session, self.caller, **data))

    @rpc
    def export_member_data(self, **fields) -> dict:
        """The caller's copy of what governance keeps about them (docs/data-export.md)."""
        load(NoArgs(), fields)
        export = member_data.export_member_data(self.db.session, self.caller)
        return MemberDataSchema().dump(export)

    # Proposals

    @rpc
    def create_proposal(self, **fields) -> dict:
        data = load(CreateProposalArgs(), fields)
        proposal = proposals.create_proposal(
            self.db.session, self.db.emit, self.caller, now=clock.now(), policy=POLICY, **data
        )
        return ProposalSchema().dump(proposal)

    @rpc
    def schedule_proposal(self, **fields) -> dict:
        data = load(ScheduleProposalArgs(), fields)
        proposal = proposals.schedule_proposal(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return ProposalSchema().dump(proposal)

    @rpc
    def get_proposal(self, **fields) -> dict:
        data = load(ProposalArgs(), fields)
        proposal = proposals.get_proposal(self.db.session, self.caller, data["proposal_id"])
        return ProposalSchema().dump(proposal)

    @rpc
    def list_proposals(self, **fields) -> dict:
        data = load(ListProposalsArgs(), fields)
        page = proposals.list_proposals(self.db.session, self.caller, **data)
        return ProposalPageSchema().dump(page)

    @rpc
    def cast_vote(self, **fields) -> dict:
        data = load(CastVoteArgs(), fields)
        receipt = proposals.cast_vote(self.db.session, self.caller, now=clock.now(), **data)
        VOTES_CAST.labels("proposal").inc()
        return VoteReceiptSchema().dump(receipt)

    @rpc
    def proposal_ballots(self, **fields) -> dict:
        data = load(ProposalArgs(), fields)
        votes = proposals.published_votes(self.db.session, self.caller, data["proposal_id"])
        return PublishedVotesSchema().dump(votes)

    @rpc
    def proposal_audit(self, **fields) -> dict:
        data = load(ProposalArgs(), fields)
        audit = proposals.roll_audit(self.db.session, self.caller, data["proposal_id"])
        return RollAuditSchema().dump(audit)

    # Board elections

    @rpc
    def create_election(self, **fields) -> dict:
        data = load(CreateElectionArgs(), fields)
        election = elections.create_election(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return ElectionSchema().dump(election)

    @rpc
    def nominate(self, **fields) -> dict:
        data = load(NominateArgs(), fields)
        candidate = elections.nominate(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return CandidateSchema().dump(candidate)

    @rpc
    def withdraw(self, **fields) -> dict:
        data = load(ElectionArgs(), fields)
        candidate = elections.withdraw(
            self.db.session, self.db.emit, self.caller, now=clock.now(), **data
        )
        return CandidateSchema().dump(candidate)

    @rpc
    def get_election(self, **fields) -> dict:
        data = load(ElectionArgs(), fields)
        election = elections.get_election(self.db.session, self.caller, data["election_id"])
        return ElectionSchema().dump(election)

    @rpc
    def list_elections(self, **fields) -> dict:
        data = load(ListElectionsArgs(), fields)
        page = elections.list_elections(self.db.session, self.caller, **data)
        return ElectionPageSchema().dump(page)

    @rpc
    def cast_ballot(self, **fields) -> dict:
        data = load(CastBallotArgs(), fields)
        receipt = elections.cast_ballot(self.db.session, self.caller, now=clock.now(), **data)
        VOTES_CAST.labels("election").inc()
        return BallotReceiptSchema().dump(receipt)

    @rpc
    def election_result(self, **fields) -> dict:
        data = load(ElectionArgs(), fields)
        result = elections.election_result(self.db.session, self.caller, data["election_id"])
        return ElectionResultSchema().dump(result)

    @rpc
    def election_ballots(self, **fields) -> dict:
        data = load(ElectionArgs(), fields)
        ballots = elections.published_ballots(self.db.session, self.caller, data["election_id"])
        return PublishedBallotsSchema().dump(ballots)

    @rpc
    def election_audit(self, **fields) -> dict:
        data = load(ElectionArgs(), fields)
        audit = elections.roll_audit(self.db.session, self.caller, data["election_id"])
        return RollAuditSchema().dump(audit)

    # Patronage

    @rpc
    def record_patronage(self, **fields) -> dict:
        """The generic contract: the feeding system (an administrator caller) reports business."""
        self.caller.require_admin()
        data = load(RecordPatronageArgs(), fields)
        recorded = patronage.record_patronage(
            self.db.session, now=clock.now(), policy=POLICY, **data
        )
        return PatronageRecordedSchema().dump(recorded)

    @rpc
    def my_patronage(self, **fields) -> dict:
        load(NoArgs(), fields)
        mine = patronage.member_patronage(self.db.session, self.caller, policy=POLICY)
        return MyPatronageSchema().dump(mine)

    @rpc
    def year_patronage(self, **fields) -> dict:
        data = load(PatronageYearArgs(), fields)
        year = patronage.year_patronage(
            self.db.session, self.caller, data["fiscal_year"], policy=POLICY
        )
        return YearPatronageSchema().dump(year)

    @rpc
    def propose_allocation(self, **fields) -> dict:
        data = load(ProposeAllocationArgs(), fields)
        surplus = data.pop("surplus")
        allocation = patronage.propose_allocation(
            self.db.session,
            self.db.emit,
            self.caller,
            surplus_cents=surplus["amount_cents"],
            currency=surplus["currency"],
            now=clock.now(),
            policy=POLICY,
            **data,
        )
        return AllocationSchema().dump(allocation)

    @rpc
    def get_allocation(self, **fields) -> dict:
        data = load(AllocationArgs(), fields)
        allocation = patronage.get_allocation(self.db.session, self.caller, data["allocation_id"])
        return AllocationSchema().dump(allocation)

    # The timetable

    @rpc
    def run_timetable(self, **fields) -> dict:
        """Run the timer's work now (administrators): for operators and scripts that can't wait."""
        self.caller.require_admin()
        load(NoArgs(), fields)
        return TimetableRunSchema().dump(self._run_timetable())

    @every(SETTINGS.timetable_seconds)
    def keep_timetable(self) -> None:
        self._run_timetable()

    def _run_timetable(self) -> dict:
        opened = timetable.open_due(self.db.session, self.db.emit, now=clock.now())
        self.db.commit()
        closed = timetable.close_due(self.db.session, self.db.emit, now=clock.now(), policy=POLICY)
        BALLOTS_CLOSED.labels("proposal").inc(len(closed["proposals_closed"]))
        BALLOTS_CLOSED.labels("election").inc(len(closed["elections_closed"]))
        return {"opened": opened, "closed": closed}
