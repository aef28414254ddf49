import pytest
from loconomics_booking.domain.lifecycle import HOLDING, TRANSITIONS, Status, can_move, move
from loconomics_plumbing.errors import Conflict

ALLOWED = {
    ("requested", "confirmed"),
    ("requested", "declined"),
    ("requested", "expired"),
    ("requested", "cancelled"),
    ("confirmed", "cancelled"),
    ("confirmed", "performed"),
    ("performed", "completed"),
    ("performed", "disputed"),
    ("performed", "cancelled"),
    ("disputed", "completed"),
    ("disputed", "cancelled"),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_only_the_listed_moves_are_allowed(current, target):
    allowed = (current.value, target.value) in ALLOWED
    assert can_move(current, target) is allowed
    if allowed:
        assert move(current, target) is target
    else:
        with pytest.raises(Conflict):
            move(current, target)


def test_closed_states_are_final():
    for status in ("declined", "expired", "cancelled", "completed"):
        assert TRANSITIONS[Status(status)] == frozenset()


def test_requests_do_not_hold_time_but_confirmed_bookings_do():
    assert Status.REQUESTED not in HOLDING
    assert Status.CONFIRMED in HOLDING
    assert Status.CANCELLED not in HOLDING
