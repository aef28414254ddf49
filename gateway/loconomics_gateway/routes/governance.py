"""The cooperative's governance (the governance service): membership, proposals, board
elections, published ballots and audits, patronage.

Every rule (who may propose, vote, stand, see a tally) is the service's; these handlers
only name the RPC and pass the path, query and body through.
"""

from __future__ import annotations

from loconomics_governance.schemas import (
    AllocationBody,
    AllocationSchema,
    BallotBody,
    BallotReceiptSchema,
    CandidateSchema,
    CreateElectionArgs,
    CreateProposalArgs,
    ElectionPageSchema,
    ElectionResultSchema,
    ElectionSchema,
    ListElectionsArgs,
    ListMembersArgs,
    ListProposalsArgs,
    MemberDetailSchema,
    MemberPageSchema,
    MyMembershipSchema,
    MyPatronageSchema,
    NominationBody,
    PatronageYearArgs,
    ProposalPageSchema,
    ProposalSchema,
    ProposalWindowBody,
    PublishedBallotsSchema,
    PublishedVotesSchema,
    RollAuditSchema,
    VoteBody,
    VoteReceiptSchema,
    YearPatronageSchema,
)

from ..operations import Call, Operation, Reply

TAG = "Governance"
BLT = "text/plain; charset=utf-8"


def governance(call: Call, method: str, **kwargs) -> dict:
    return call.rpc("governance", method, **kwargs)


def get_my_membership(call: Call) -> dict:
    return governance(call, "my_membership")


def list_members(call: Call) -> dict:
    return governance(call, "list_members", **call.query)


def get_member(call: Call) -> dict:
    return governance(call, "get_member", external_id=call.params["external_id"])


def create_proposal(call: Call) -> dict:
    return governance(call, "create_proposal", **call.body)


def list_proposals(call: Call) -> dict:
    return governance(call, "list_proposals", **call.query)


def get_proposal(call: Call) -> dict:
    return governance(call, "get_proposal", proposal_id=call.params["proposal_id"])


def schedule_proposal(call: Call) -> dict:
    return governance(
        call, "schedule_proposal", proposal_id=call.params["proposal_id"], **call.body
    )


def cast_vote(call: Call) -> dict:
    return governance(call, "cast_vote", proposal_id=call.params["proposal_id"], **call.body)


def get_proposal_ballots(call: Call) -> dict:
    return governance(call, "proposal_ballots", proposal_id=call.params["proposal_id"])


def get_proposal_audit(call: Call) -> dict:
    return governance(call, "proposal_audit", proposal_id=call.params["proposal_id"])


def create_election(call: Call) -> dict:
    return governance(call, "create_election", **call.body)


def list_elections(call: Call) -> dict:
    return governance(call, "list_elections", **call.query)


def get_election(call: Call) -> dict:
    return governance(call, "get_election", election_id=call.params["election_id"])


def nominate_myself(call: Call) -> dict:
    return governance(call, "nominate", election_id=call.params["election_id"], **call.body)


def withdraw_my_candidacy(call: Call) -> dict:
    return governance(call, "withdraw", election_id=call.params["election_id"])


def cast_ballot(call: Call) -> dict:
    return governance(call, "cast_ballot", election_id=call.params["election_id"], **call.body)


def get_election_result(call: Call) -> dict:
    return governance(call, "election_result", election_id=call.params["election_id"])


def get_election_ballots(call: Call) -> dict:
    return governance(call, "election_ballots", election_id=call.params["election_id"])


def get_election_ballots_blt(call: Call) -> Reply:
    published = governance(call, "election_ballots", election_id=call.params["election_id"])
    filename = f"election-{call.params['election_id']}.blt"
    return Reply(
        body=published["blt"],
        content_type=BLT,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def get_election_audit(call: Call) -> dict:
    return governance(call, "election_audit", election_id=call.params["election_id"])


def get_my_patronage(call: Call) -> dict:
    return governance(call, "my_patronage")


def get_year_patronage(call: Call) -> dict:
    return governance(call, "year_patronage", fiscal_year=call.params["year"])


def propose_allocation(call: Call) -> dict:
    return governance(call, "propose_allocation", fiscal_year=call.params["year"], **call.body)


def get_allocation(call: Call) -> dict:
    return governance(call, "get_allocation", allocation_id=call.params["allocation_id"])


# The year in a patronage path, documented as the service's own field (an integer in range)
FISCAL_YEAR = {"year": PatronageYearArgs().fields["fiscal_year"]}

AFTER_CLOSE = "Published once voting has closed (409 before); for members and administrators."

OPERATIONS = [
    Operation(
        "GET",
        "/v1/me/member",
        "My membership in the cooperative and my voting rights",
        get_my_membership,
        tag=TAG,
        response=MyMembershipSchema,
        errors=(404,),
        description="404 when the signed-in account is not on the member register.",
    ),
    Operation(
        "GET",
        "/v1/governance/members",
        "The member register (administrators)",
        list_members,
        tag=TAG,
        query=ListMembersArgs,
        response=MemberPageSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/governance/members/{external_id}",
        "A member and their status history (the member themselves, administrators)",
        get_member,
        tag=TAG,
        response=MemberDetailSchema,
        errors=(403, 404),
    ),
    Operation(
        "POST",
        "/v1/governance/proposals",
        "Put a proposal to the members",
        create_proposal,
        tag=TAG,
        body=CreateProposalArgs,
        response=ProposalSchema,
        status=201,
        errors=(403,),
        description="Members in good standing and administrators. Without opens_at and "
        "closes_at the proposal is a draft until scheduled.",
    ),
    Operation(
        "GET",
        "/v1/governance/proposals",
        "Proposals, newest first",
        list_proposals,
        tag=TAG,
        query=ListProposalsArgs,
        response=ProposalPageSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/governance/proposals/{proposal_id}",
        "A proposal; its tally and outcome once voting has closed",
        get_proposal,
        tag=TAG,
        response=ProposalSchema,
        errors=(403, 404),
    ),
    Operation(
        "PUT",
        "/v1/governance/proposals/{proposal_id}/schedule",
        "Set or move the voting window of a proposal not yet open",
        schedule_proposal,
        tag=TAG,
        body=ProposalWindowBody,
        response=ProposalSchema,
        errors=(403, 404, 409),
    ),
    Operation(
        "POST",
        "/v1/governance/proposals/{proposal_id}/votes",
        "Vote on a proposal, once, by secret ballot",
        cast_vote,
        tag=TAG,
        body=VoteBody,
        response=VoteReceiptSchema,
        status=201,
        errors=(403, 404, 409),
        description="Only members on the roll taken when voting opened. A second vote is "
        "409. Keep the receipt: it finds your vote in the ballots published at close. "
        "Idempotency-Key is ignored here: a stored answer would link voter and ballot.",
        idempotent=False,
    ),
    Operation(
        "GET",
        "/v1/governance/proposals/{proposal_id}/ballots",
        "Every vote of a closed proposal with its receipt",
        get_proposal_ballots,
        tag=TAG,
        response=PublishedVotesSchema,
        errors=(403, 404, 409),
        description=AFTER_CLOSE,
    ),
    Operation(
        "GET",
        "/v1/governance/proposals/{proposal_id}/audit",
        "Who was on the roll and whether they voted (never how)",
        get_proposal_audit,
        tag=TAG,
        response=RollAuditSchema,
        errors=(403, 404, 409),
        description=AFTER_CLOSE,
    ),
    Operation(
        "POST",
        "/v1/governance/elections",
        "Call a board election (administrators)",
        create_election,
        tag=TAG,
        body=CreateElectionArgs,
        response=ElectionSchema,
        status=201,
        errors=(403,),
        description="Nominations are open from now until nominations_close_at (opens_at "
        "by default); ranked voting from opens_at to closes_at; counted by Scottish STV.",
    ),
    Operation(
        "GET",
        "/v1/governance/elections",
        "Board elections, newest first",
        list_elections,
        tag=TAG,
        query=ListElectionsArgs,
        response=ElectionPageSchema,
        errors=(403,),
    ),
    Operation(
        "GET",
        "/v1/governance/elections/{election_id}",
        "A board election and its candidates",
        get_election,
        tag=TAG,
        response=ElectionSchema,
        errors=(403, 404),
    ),
    Operation(
        "POST",
        "/v1/governance/elections/{election_id}/candidates",
        "Stand for election (self-nomination, members in good standing)",
        nominate_myself,
        tag=TAG,
        body=NominationBody,
        response=CandidateSchema,
        status=201,
        errors=(403, 404, 409),
    ),
    Operation(
        "DELETE",
        "/v1/governance/elections/{election_id}/candidates/me",
        "Withdraw my candidacy while nominations are open",
        withdraw_my_candidacy,
        tag=TAG,
        response=CandidateSchema,
        errors=(404, 409),
    ),
    Operation(
        "POST",
        "/v1/governance/elections/{election_id}/ballots",
        "Cast a ranked ballot, once, by secret ballot",
        cast_ballot,
        tag=TAG,
        body=BallotBody,
        response=BallotReceiptSchema,
        status=201,
        errors=(403, 404, 409),
        description="Only members on the roll taken when voting opened. A second ballot is "
        "409. Keep the receipt: it finds your ballot in those published at close. "
        "Idempotency-Key is ignored here: a stored answer would link voter and ballot.",
        idempotent=False,
    ),
    Operation(
        "GET",
        "/v1/governance/elections/{election_id}/result",
        "Who was elected, and every stage of the count",
        get_election_result,
        tag=TAG,
        response=ElectionResultSchema,
        errors=(403, 404, 409),
        description=AFTER_CLOSE,
    ),
    Operation(
        "GET",
        "/v1/governance/elections/{election_id}/ballots",
        "Every ranked ballot of a closed election with its receipt, and a BLT file",
        get_election_ballots,
        tag=TAG,
        response=PublishedBallotsSchema,
        errors=(403, 404, 409),
        description=AFTER_CLOSE,
    ),
    Operation(
        "GET",
        "/v1/governance/elections/{election_id}/ballots.blt",
        "The ballots of a closed election as a BLT file, to re-run the count",
        get_election_ballots_blt,
        tag=TAG,
        errors=(403, 404, 409),
        content_type=BLT,
        description=AFTER_CLOSE + " Readable by OpenSTV, OpaVote, Droop and eSTV.",
    ),
    Operation(
        "GET",
        "/v1/governance/elections/{election_id}/audit",
        "Who was on the roll and whether they voted (never how)",
        get_election_audit,
        tag=TAG,
        response=RollAuditSchema,
        errors=(403, 404, 409),
        description=AFTER_CLOSE,
    ),
    Operation(
        "GET",
        "/v1/me/patronage",
        "My patronage by fiscal year, and my share of any allocation",
        get_my_patronage,
        tag=TAG,
        response=MyPatronageSchema,
    ),
    Operation(
        "GET",
        "/v1/governance/patronage/{year}",
        "Every member's patronage in a fiscal year, and its allocation (administrators)",
        get_year_patronage,
        tag=TAG,
        response=YearPatronageSchema,
        errors=(403,),
        path_fields=FISCAL_YEAR,
    ),
    Operation(
        "POST",
        "/v1/governance/patronage/{year}/allocation",
        "Propose the allocation of a year's surplus (the board); the members vote on it",
        propose_allocation,
        tag=TAG,
        body=AllocationBody,
        response=AllocationSchema,
        status=201,
        errors=(403, 409),
        path_fields=FISCAL_YEAR,
        description="Shares are exact to the cent and sum to the surplus; cash_percent is at "
        "least the policy's minimum. The members approve it by an ordinary proposal "
        "(proposal_id); once it passes every member is notified of their share.",
    ),
    Operation(
        "GET",
        "/v1/governance/allocations/{allocation_id}",
        "A patronage allocation and every member's share (administrators)",
        get_allocation,
        tag=TAG,
        response=AllocationSchema,
        errors=(403, 404),
    ),
]
