"""The shape of every governance RPC argument, result and event payload.

Inputs refuse unknown fields (`StrictSchema`); results and events are dumped from the
domain's plain dicts. The gateway builds its OpenAPI document from these same schemas.
"""

from __future__ import annotations

from loconomics_plumbing.member_data import MemberDataPartSchema, section
from loconomics_plumbing.validation import MoneySchema, PageArgsSchema, StrictSchema, instant
from marshmallow import EXCLUDE, Schema, fields, validate

from .domain.decisions import KINDS
from .domain.elections import MAX_SEATS
from .domain.elections import STATUSES as ELECTION_STATUSES
from .domain.proposals import CHOICES
from .domain.proposals import STATUSES as PROPOSAL_STATUSES
from .domain.statuses import STATUSES as MEMBER_STATUSES

OUTCOMES = ("passed", "rejected", "no_quorum")
ALLOCATION_STATUSES = ("proposed", "approved", "rejected")
CANDIDATE_STATUSES = ("standing", "withdrawn", "elected", "not_elected")
STAGE_ACTIONS = ("first_preferences", "surplus", "exclusion")


def _id(description: str, **options) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": description}, **options
    )


def _votes(description: str, **options) -> fields.String:
    return fields.String(
        metadata={"description": f"{description} (a decimal with five places)."}, **options
    )


# Inputs


class RecordMemberStatusArgs(StrictSchema):
    """The generic contract any cooperative uses to keep the register."""

    external_id = _id("The member's id in the system that feeds the register.", required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(MEMBER_STATUSES),
        metadata={
            "description": "applicant, active (good standing), inactive, suspended, withdrawn."
        },
    )
    occurred_at = instant("When the member took this status.", required=True)
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Display name, shown on the roll and ballot papers."},
    )
    email = fields.Email(
        load_default=None, allow_none=True, metadata={"description": "Contact address."}
    )
    source_event_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Id of the report; a repeat with the same id changes nothing."},
    )


class RecordDepartureArgs(StrictSchema):
    """The generic contract for a person who left and asks to be forgotten."""

    external_id = _id("The person's id in the system that feeds the register.", required=True)
    left_at = instant(
        "When they left: withdrawn from then, for good; nothing reported after is kept.",
        required=True,
    )
    source_event_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Id of the report, kept in the member's status history."},
    )


class MemberArgs(StrictSchema):
    external_id = _id("The member's external id.", required=True)


class ListMembersArgs(PageArgsSchema):
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(MEMBER_STATUSES),
        metadata={"description": "Only members with this status."},
    )


class CreateProposalArgs(StrictSchema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The motion, in a line."},
    )
    body = fields.String(
        load_default="",
        validate=validate.Length(max=20_000),
        metadata={"description": "The full text and the reasons for it."},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "ordinary (more yes than no) or special (two thirds of yes "
            "and no: bylaws, dissolution)."
        },
    )
    opens_at = instant(
        "When voting opens; without it the proposal is a draft.", load_default=None, allow_none=True
    )
    closes_at = instant("When voting closes.", load_default=None, allow_none=True)
    quorum_percent = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100),
        metadata={
            "description": "Votes cast, abstentions included, as a percentage of the "
            "roll needed for the result to count; the policy's by default."
        },
    )


class ProposalWindowBody(StrictSchema):
    opens_at = instant("When voting opens.", required=True)
    closes_at = instant("When voting closes.", required=True)


class ScheduleProposalArgs(ProposalWindowBody):
    proposal_id = _id("The proposal.", required=True)


class ProposalArgs(StrictSchema):
    proposal_id = _id("The proposal.", required=True)


class ListProposalsArgs(PageArgsSchema):
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(PROPOSAL_STATUSES),
        metadata={"description": "Only proposals with this status."},
    )


class VoteBody(StrictSchema):
    choice = fields.String(
        required=True,
        validate=validate.OneOf(CHOICES),
        metadata={"description": "yes, no or abstain."},
    )


class CastVoteArgs(VoteBody):
    proposal_id = _id("The proposal.", required=True)


class CreateElectionArgs(StrictSchema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "What the election is for, e.g. 'Board of directors 2026'."},
    )
    body = fields.String(
        load_default="",
        validate=validate.Length(max=20_000),
        metadata={"description": "What the board does, terms, how to stand."},
    )
    seats = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_SEATS),
        metadata={"description": "Seats to fill."},
    )
    nominations_close_at = instant(
        "When nominations close; opens_at by default.", load_default=None, allow_none=True
    )
    opens_at = instant("When voting opens.", required=True)
    closes_at = instant("When voting closes and the count runs.", required=True)


class NominationBody(StrictSchema):
    statement = fields.String(
        load_default="",
        validate=validate.Length(max=5_000),
        metadata={"description": "The candidate's statement to the members."},
    )
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "How the candidate appears on the ballot paper; the name on the "
            "register by default."
        },
    )


class NominateArgs(NominationBody):
    election_id = _id("The election.", required=True)


class ElectionArgs(StrictSchema):
    election_id = _id("The election.", required=True)


class ListElectionsArgs(PageArgsSchema):
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ELECTION_STATUSES),
        metadata={"description": "Only elections with this status."},
    )


class BallotBody(StrictSchema):
    ranking = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Candidate ids, most preferred first; rank as many as you like."},
    )


class CastBallotArgs(BallotBody):
    election_id = _id("The election.", required=True)


class RecordPatronageArgs(StrictSchema):
    """The generic patronage contract: business a member did with the cooperative."""

    external_id = _id("The member's external id.", required=True)
    occurred_at = instant("When the business happened (decides the fiscal year).", required=True)
    source_event_id = _id("Id of the source event; a repeat counts once.", required=True)
    dues_cents = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Membership dues paid, in cents."},
    )
    currency = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[A-Z]{3}$"),
        metadata={"description": "Currency of the dues; the policy's currency by default."},
    )
    completed_bookings = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0),
        metadata={"description": "Bookings completed as the professional."},
    )


class PatronageYearArgs(StrictSchema):
    fiscal_year = fields.Integer(
        required=True,
        validate=validate.Range(min=1900, max=9999),
        metadata={"description": "Fiscal year, named by the calendar year it ends in."},
    )


class AllocationBody(StrictSchema):
    surplus = fields.Nested(
        MoneySchema, required=True, metadata={"description": "The surplus to allocate."}
    )
    cash_percent = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=100),
        metadata={
            "description": "Share of each member's allocation paid in cash; at least "
            "the policy's minimum (20%)."
        },
    )
    opens_at = instant(
        "When the members' vote opens; now by default.", load_default=None, allow_none=True
    )
    closes_at = instant(
        "When the vote closes; the policy's period after opening by default.",
        load_default=None,
        allow_none=True,
    )


class ProposeAllocationArgs(AllocationBody):
    fiscal_year = fields.Integer(
        required=True,
        validate=validate.Range(min=1900, max=9999),
        metadata={"description": "Fiscal year whose surplus is allocated."},
    )


class AllocationArgs(StrictSchema):
    allocation_id = _id("The allocation.", required=True)


class NoArgs(StrictSchema):
    """For methods whose only input is the caller."""


# Results


class MemberSchema(Schema):
    member_id = fields.String(metadata={"description": "Governance's own id for the member."})
    external_id = fields.String(metadata={"description": "The id the feeding system uses."})
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "Current status."})
    in_good_standing = fields.Boolean(
        metadata={"description": "True when active: may vote, propose and stand."}
    )
    status_since = instant("When the current status began.")
    joined_at = instant("When first reported active.", allow_none=True)


class MemberRecordedSchema(MemberSchema):
    changed = fields.Boolean(metadata={"description": "Whether the current status changed."})


class DepartureRecordedSchema(Schema):
    external_id = fields.String()
    left_at = instant("When they left (the first departure recorded stands).")
    recorded = fields.Boolean(
        metadata={"description": "False when their departure was recorded before."}
    )
    member = fields.Nested(
        MemberSchema,
        allow_none=True,
        metadata={"description": "Their entry in the register (name kept, no email), if any."},
    )
    candidacies_withdrawn = fields.List(
        fields.String(), metadata={"description": "Elections whose candidacy this withdrew."}
    )


class StatusChangeSchema(Schema):
    status = fields.String()
    occurred_at = instant("When the member took this status.")
    recorded_at = instant("When governance received the report.")
    applied = fields.Boolean(
        metadata={"description": "False for a report older than one already applied."}
    )


class MemberDetailSchema(MemberSchema):
    history = fields.List(fields.Nested(StatusChangeSchema))


class OpenBallotSchema(Schema):
    kind = fields.String(metadata={"description": "proposal or election."})
    ballot_id = fields.String()
    title = fields.String()
    closes_at = instant("When voting closes.")
    voted = fields.Boolean()


class VotingRightsSchema(Schema):
    may_vote = fields.Boolean(metadata={"description": "On rolls taken from now on."})
    may_propose = fields.Boolean()
    may_stand = fields.Boolean()
    open_ballots = fields.List(
        fields.Nested(OpenBallotSchema),
        metadata={"description": "Open ballots whose roll the member is on."},
    )


class MyMembershipSchema(MemberSchema):
    voting_rights = fields.Nested(VotingRightsSchema)


class MemberPageSchema(Schema):
    items = fields.List(fields.Nested(MemberSchema))
    next_cursor = fields.String(allow_none=True)


class TallySchema(Schema):
    yes = fields.Integer()
    no = fields.Integer()
    abstain = fields.Integer()
    votes_cast = fields.Integer(metadata={"description": "yes + no + abstain."})
    roll_size = fields.Integer()
    quorum_met = fields.Boolean()


class ProposalSchema(Schema):
    proposal_id = fields.String()
    title = fields.String()
    body = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "draft, scheduled, open or closed."})
    quorum_percent = fields.Integer()
    opens_at = instant("When voting opens.", allow_none=True)
    closes_at = instant("When voting closes.", allow_none=True)
    created_by = fields.String()
    created_at = instant("When it was put forward.")
    opened_at = instant("When voting actually opened.", allow_none=True)
    closed_at = instant("When voting actually closed.", allow_none=True)
    roll_size = fields.Integer(allow_none=True, metadata={"description": "Members on the roll."})
    outcome = fields.String(
        allow_none=True, metadata={"description": "passed, rejected or no_quorum; after close."}
    )
    tally = fields.Nested(
        TallySchema, allow_none=True, metadata={"description": "Only after voting closes."}
    )


class ProposalPageSchema(Schema):
    items = fields.List(fields.Nested(ProposalSchema))
    next_cursor = fields.String(allow_none=True)


class VoteReceiptSchema(Schema):
    proposal_id = fields.String()
    receipt = fields.String(
        metadata={"description": "Find your vote with it in the ballots published at close."}
    )


class PublishedVoteSchema(Schema):
    receipt = fields.String()
    choice = fields.String()


class PublishedVotesSchema(Schema):
    proposal_id = fields.String()
    ballots = fields.List(fields.Nested(PublishedVoteSchema))


class AuditEntrySchema(Schema):
    external_id = fields.String()
    name = fields.String(allow_none=True)
    voted = fields.Boolean(metadata={"description": "Whether they voted; never how."})


class RollAuditSchema(Schema):
    ballot_id = fields.String()
    roll_size = fields.Integer()
    voted = fields.Integer()
    entries = fields.List(fields.Nested(AuditEntrySchema))


class CandidateSchema(Schema):
    candidate_id = fields.String()
    external_id = fields.String(metadata={"description": "The candidate's member external id."})
    name = fields.String()
    statement = fields.String()
    status = fields.String(metadata={"description": ", ".join(CANDIDATE_STATUSES)})
    nominated_at = instant("When they stood.")


class ElectionSchema(Schema):
    election_id = fields.String()
    title = fields.String()
    body = fields.String()
    seats = fields.Integer()
    status = fields.String(metadata={"description": "nominating, open or closed."})
    nominations_close_at = instant("When nominations close.")
    opens_at = instant("When voting opens.")
    closes_at = instant("When voting closes.")
    created_by = fields.String()
    created_at = instant("When the election was called.")
    opened_at = instant("When voting actually opened.", allow_none=True)
    closed_at = instant("When voting actually closed.", allow_none=True)
    roll_size = fields.Integer(allow_none=True)
    ballots_cast = fields.Integer(allow_none=True, metadata={"description": "After close."})
    candidates = fields.List(fields.Nested(CandidateSchema))


class ElectionPageSchema(Schema):
    items = fields.List(fields.Nested(ElectionSchema))
    next_cursor = fields.String(allow_none=True)


class BallotReceiptSchema(Schema):
    election_id = fields.String()
    receipt = fields.String(
        metadata={"description": "Find your ballot with it in the ballots published at close."}
    )


class StageSchema(Schema):
    number = fields.Integer()
    action = fields.String(metadata={"description": ", ".join(STAGE_ACTIONS)})
    subject = fields.String(
        allow_none=True,
        metadata={"description": "Candidate whose surplus is transferred or who is excluded."},
    )
    totals = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Every candidate's votes at the end of the stage."},
    )
    transfers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Change of each candidate's votes during the stage."},
    )
    transfer_values = fields.List(fields.String())
    non_transferable = _votes("Value of papers with no next preference, this stage")
    non_transferable_total = _votes("Non-transferable so far")
    lost_to_rounding = _votes("Value lost to the five-place truncation, this stage")
    lost_to_rounding_total = _votes("Lost to rounding so far")
    elected = fields.List(fields.String(), metadata={"description": "Elected at this stage."})
    tie_break = fields.String(
        allow_none=True, metadata={"description": "look_back or lot, when a tie was broken."}
    )


class NamedCandidateSchema(Schema):
    candidate_id = fields.String()
    name = fields.String()


class ElectionResultSchema(Schema):
    election_id = fields.String()
    title = fields.String()
    rules = fields.String()
    seats = fields.Integer()
    valid_papers = fields.Integer()
    quota = fields.Integer(metadata={"description": "Droop: floor(valid / (seats + 1)) + 1."})
    candidates = fields.List(fields.Nested(NamedCandidateSchema))
    elected = fields.List(fields.Nested(NamedCandidateSchema))
    stages = fields.List(fields.Nested(StageSchema))
    ballots_cast = fields.Integer()
    roll_size = fields.Integer()


class NumberedCandidateSchema(NamedCandidateSchema):
    number = fields.Integer(metadata={"description": "The candidate's number in the BLT file."})
    withdrawn = fields.Boolean(
        metadata={
            "description": "Withdrawn while voting was open (the member left): ranked on "
            "papers, skipped by the count."
        }
    )


class PublishedBallotSchema(Schema):
    receipt = fields.String()
    ranking = fields.List(fields.String())


class PublishedBallotsSchema(Schema):
    election_id = fields.String()
    candidates = fields.List(fields.Nested(NumberedCandidateSchema))
    ballots = fields.List(fields.Nested(PublishedBallotSchema))
    blt = fields.String(metadata={"description": "The ballots as a BLT file, to re-run the count."})


class PatronageRecordedSchema(Schema):
    recorded = fields.Boolean(metadata={"description": "False when the event was seen before."})
    fiscal_year = fields.Integer()


class ShareSchema(Schema):
    external_id = fields.String()
    points = fields.String(metadata={"description": "The member's patronage points."})
    amount = fields.Nested(MoneySchema)
    cash = fields.Nested(MoneySchema)
    retained = fields.Nested(MoneySchema)


class AllocationSchema(Schema):
    allocation_id = fields.String()
    fiscal_year = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(ALLOCATION_STATUSES)})
    surplus = fields.Nested(MoneySchema)
    cash_percent = fields.Integer()
    proposal_id = fields.String(metadata={"description": "The proposal the members vote on."})
    basis = fields.Dict(keys=fields.String(), values=fields.String())
    created_by = fields.String()
    created_at = instant("When the board proposed it.")
    decided_at = instant("When the members' vote settled it.", allow_none=True)
    cash_total = fields.Nested(MoneySchema)
    retained_total = fields.Nested(MoneySchema)
    shares = fields.List(fields.Nested(ShareSchema))


class MemberShareSchema(Schema):
    allocation_id = fields.String()
    status = fields.String()
    points = fields.String()
    amount = fields.Nested(MoneySchema)
    cash = fields.Nested(MoneySchema)
    retained = fields.Nested(MoneySchema)


class PatronageYearSchema(Schema):
    fiscal_year = fields.Integer()
    dues = fields.Nested(MoneySchema)
    completed_bookings = fields.Integer()
    points = fields.Decimal(as_string=True)
    allocation = fields.Nested(MemberShareSchema, allow_none=True)


class MyPatronageSchema(Schema):
    external_id = fields.String()
    years = fields.List(fields.Nested(PatronageYearSchema))


class MemberPatronageSchema(Schema):
    external_id = fields.String()
    name = fields.String(allow_none=True)
    dues = fields.Nested(MoneySchema)
    completed_bookings = fields.Integer()
    points = fields.Decimal(as_string=True)


class YearPatronageSchema(Schema):
    fiscal_year = fields.Integer()
    basis = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    members = fields.List(fields.Nested(MemberPatronageSchema))
    total_points = fields.Decimal(as_string=True)
    allocation = fields.Nested(AllocationSchema, allow_none=True)


class OpenDueResultSchema(Schema):
    proposals_opened = fields.List(fields.String())
    elections_opened = fields.List(fields.String())


class CloseDueResultSchema(Schema):
    reminded = fields.List(fields.String())
    proposals_closed = fields.List(fields.String())
    elections_closed = fields.List(fields.String())
    allocations_settled = fields.List(fields.String())


class TimetableRunSchema(Schema):
    opened = fields.Nested(OpenDueResultSchema, metadata={"description": "What opened."})
    closed = fields.Nested(
        CloseDueResultSchema, metadata={"description": "What was reminded, closed, settled."}
    )


# A member's copy of their data (docs/data-export.md): one record schema per section


class ExportedMemberSchema(MemberSchema):
    email = fields.String(allow_none=True, metadata={"description": "Null once erased."})
    status = fields.String(metadata={"description": ", ".join(MEMBER_STATUSES)})
    reported_at = instant("The time of the latest status report applied.")
    created_at = instant("When the entry was made.")
    updated_at = instant("When the entry last changed.")


class ExportedStatusChangeSchema(StatusChangeSchema):
    source_event_id = fields.String(
        allow_none=True, metadata={"description": "The feeding system's id of the report."}
    )


class ExportedContactSchema(Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    updated_at = instant("When the platform last said so.")


class ExportedDepartureSchema(Schema):
    left_at = instant("When they left: withdrawn from then, for good.")
    recorded_at = instant("When governance received it.")
    source_event_id = fields.String(allow_none=True)


class ExportedRollEntrySchema(Schema):
    ballot_kind = fields.String(metadata={"description": "proposal or election."})
    ballot_id = fields.String(metadata={"description": "The proposal or election id."})
    title = fields.String()
    roll_as_of = instant("When voting opened: the roll is who was in good standing then.")
    voted = fields.Boolean()
    voted_at = instant("When they voted; never how.", allow_none=True)


class ExportedProposalSchema(Schema):
    proposal_id = fields.String()
    title = fields.String()
    body = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": ", ".join(PROPOSAL_STATUSES)})
    quorum_percent = fields.Integer()
    opens_at = instant("When voting opens.", allow_none=True)
    closes_at = instant("When voting closes.", allow_none=True)
    created_at = instant("When it was put forward.")
    opened_at = instant("When voting actually opened.", allow_none=True)
    closed_at = instant("When voting actually closed.", allow_none=True)
    roll_size = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "Once closed."})
    yes_votes = fields.Integer(allow_none=True, metadata={"description": "Once closed."})
    no_votes = fields.Integer(allow_none=True, metadata={"description": "Once closed."})
    abstentions = fields.Integer(allow_none=True, metadata={"description": "Once closed."})


class ExportedCandidacySchema(Schema):
    candidate_id = fields.String()
    election_id = fields.String()
    election_title = fields.String()
    name = fields.String(metadata={"description": "The name on the ballot paper."})
    statement = fields.String()
    status = fields.String(metadata={"description": ", ".join(CANDIDATE_STATUSES)})
    nominated_at = instant("When they stood.")


class ExportedPatronageRecordSchema(Schema):
    fiscal_year = fields.Integer()
    dues_cents = fields.Integer()
    currency = fields.String()
    completed_bookings = fields.Integer()
    occurred_at = instant("When the business happened.")
    recorded_at = instant("When governance recorded it.")
    source_event_id = fields.String(metadata={"description": "The source event's id."})


class ExportedAllocationSchema(Schema):
    allocation_id = fields.String()
    fiscal_year = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(ALLOCATION_STATUSES)})
    surplus_cents = fields.Integer()
    currency = fields.String()
    cash_percent = fields.Integer()
    proposal_id = fields.String(metadata={"description": "The proposal the members voted on."})
    basis = fields.Dict(keys=fields.String(), values=fields.String())
    created_by = fields.String(metadata={"description": "Who proposed it for the board."})
    created_at = instant("When the board proposed it.")
    decided_at = instant("When the members' vote settled it.", allow_none=True)


class ExportedShareSchema(Schema):
    allocation_id = fields.String()
    fiscal_year = fields.Integer()
    points = fields.String()
    amount_cents = fields.Integer()
    cash_cents = fields.Integer()
    retained_cents = fields.Integer()
    currency = fields.String()


class MemberDataSectionsSchema(Schema):
    member = section(ExportedMemberSchema)
    member_status_changes = section(ExportedStatusChangeSchema)
    contact = section(ExportedContactSchema)
    departure = section(ExportedDepartureSchema)
    roll_entries = section(ExportedRollEntrySchema)
    proposals = section(ExportedProposalSchema)
    candidacies = section(ExportedCandidacySchema)
    patronage_records = section(ExportedPatronageRecordSchema)
    patronage_allocations = section(ExportedAllocationSchema)
    patronage_shares = section(ExportedShareSchema)


class MemberDataSchema(MemberDataPartSchema):
    """Governance's part of a member's copy of their data (`export_member_data`)."""

    sections = fields.Nested(MemberDataSectionsSchema, required=True)


# Events emitted (the plumbing adds `event_id` and `occurred_at` to every payload)


class EventSchema(StrictSchema):
    event_id = fields.String(metadata={"description": "Added by the outbox."})
    occurred_at = instant("Added by the outbox.")


class MemberStatusChangedEvent(EventSchema):
    member_id = fields.String(required=True)
    external_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MEMBER_STATUSES))
    previous_status = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(MEMBER_STATUSES)
    )
    in_good_standing = fields.Boolean(required=True)
    status_since = instant("When the new status began.", required=True)


class ProposalAnnounced(EventSchema):
    proposal_id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    opens_at = instant("When voting opens.", required=True, allow_none=True)
    closes_at = instant("When voting closes.", required=True, allow_none=True)


class ProposalOpenedEvent(ProposalAnnounced):
    roll_size = fields.Integer(required=True)
    electorate = fields.List(
        fields.String(), required=True, metadata={"description": "External ids on the roll."}
    )


class ProposalClosingSoonEvent(ProposalAnnounced):
    not_yet_voted = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "External ids on the roll who have not voted yet."},
    )


class ProposalClosedEvent(ProposalAnnounced):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    tally = fields.Nested(TallySchema, required=True)


class ElectionAnnounced(EventSchema):
    election_id = fields.String(required=True)
    title = fields.String(required=True)
    seats = fields.Integer(required=True)
    opens_at = instant("When voting opens.", required=True)
    closes_at = instant("When voting closes.", required=True)


class ElectionCreatedEvent(ElectionAnnounced):
    nominations_close_at = instant("When nominations close.", required=True)


class CandidacyEvent(EventSchema):
    election_id = fields.String(required=True)
    candidate_id = fields.String(required=True)
    external_id = fields.String(required=True)
    name = fields.String(required=True)


class ElectionOpenedEvent(ElectionAnnounced):
    roll_size = fields.Integer(required=True)
    electorate = fields.List(fields.String(), required=True)
    candidates = fields.List(fields.Nested(NamedCandidateSchema), required=True)


class ElectionClosingSoonEvent(ElectionAnnounced):
    not_yet_voted = fields.List(fields.String(), required=True)


class ElectedCandidateSchema(NamedCandidateSchema):
    external_id = fields.String(required=True)


class ElectionClosedEvent(ElectionAnnounced):
    quota = fields.Integer(required=True)
    valid_papers = fields.Integer(required=True)
    stages = fields.Integer(required=True, metadata={"description": "Stages in the count."})
    elected = fields.List(fields.Nested(ElectedCandidateSchema), required=True)


class AllocationAnnounced(EventSchema):
    allocation_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    proposal_id = fields.String(required=True)
    surplus = fields.Nested(MoneySchema, required=True)
    cash_percent = fields.Integer(required=True)


class AllocationProposedEvent(AllocationAnnounced):
    members = fields.Integer(required=True, metadata={"description": "Members with a share."})


class AllocationRejectedEvent(AllocationAnnounced):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))


class PatronageAllocatedEvent(EventSchema):
    """A notice to one member of their share (for notifications)."""

    allocation_id = fields.String(required=True)
    fiscal_year = fields.Integer(required=True)
    external_id = fields.String(required=True)
    points = fields.String(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    cash = fields.Nested(MoneySchema, required=True)
    retained = fields.Nested(MoneySchema, required=True)


EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "member_status_changed": MemberStatusChangedEvent,
    "proposal_created": ProposalAnnounced,
    "proposal_scheduled": ProposalAnnounced,
    "proposal_opened": ProposalOpenedEvent,
    "proposal_closing_soon": ProposalClosingSoonEvent,
    "proposal_closed": ProposalClosedEvent,
    "election_created": ElectionCreatedEvent,
    "candidate_nominated": CandidacyEvent,
    "candidate_withdrawn": CandidacyEvent,
    "election_opened": ElectionOpenedEvent,
    "election_closing_soon": ElectionClosingSoonEvent,
    "election_closed": ElectionClosedEvent,
    "patronage_allocation_proposed": AllocationProposedEvent,
    "patronage_allocation_approved": AllocationAnnounced,
    "patronage_allocation_rejected": AllocationRejectedEvent,
    "patronage_allocated": PatronageAllocatedEvent,
}


# Events consumed


class _FeedEvent(Schema):
    """An event from a feeding service: its id and time. Unknown fields are ignored."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "The event's id; a redelivery changes nothing."},
    )
    occurred_at = instant("When the event happened.", load_default=None, allow_none=True)


class MemberStatusReportEvent(_FeedEvent):
    """`member_status_changed` from a feeding service: the event form of the generic contract.

    Governance's own `member_status_changed` has this shape too, so one governance can
    feed another.
    """

    external_id = _id("The member's id in the feeding system.", required=True)
    status = fields.String(required=True, validate=validate.OneOf(MEMBER_STATUSES))
    status_since = instant(
        "When the member took this status; the event's occurred_at when absent.",
        load_default=None,
        allow_none=True,
    )
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.Email(load_default=None, allow_none=True)


class MemberDepartedEvent(_FeedEvent):
    """`member_departed` from a feeding service: the event form of `record_departure`."""

    external_id = _id("The person's id in the feeding system.", required=True)
    left_at = instant(
        "When they left; the event's occurred_at when absent.", load_default=None, allow_none=True
    )


CONSUMED_EVENT_SCHEMAS: dict[str, type[Schema]] = {
    "member_status_changed": MemberStatusReportEvent,
    "member_departed": MemberDepartedEvent,
}
