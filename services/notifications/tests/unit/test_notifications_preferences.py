import pytest
from loconomics_notifications.domain.preferences import (
    CATEGORIES,
    channels_wanted,
    get_preferences,
    set_preferences,
)
from loconomics_plumbing.errors import Invalid, Unauthorized


def test_everything_is_on_until_switched_off(session, people):
    view = get_preferences(session, people["client"])
    assert set(view["preferences"]) == set(CATEGORIES)
    assert all(all(channels.values()) for channels in view["preferences"].values())
    assert view["locked"] == ["booking.email", "payment.email"]


def test_choices_are_kept_and_others_left_alone(session, now, people):
    set_preferences(session, people["client"], {"messages": {"email": False}}, now)
    view = set_preferences(session, people["client"], {"governance": {"in_app": False}}, now)
    assert view["preferences"]["messages"] == {"email": False, "in_app": True}
    assert view["preferences"]["governance"] == {"email": True, "in_app": False}
    assert get_preferences(session, people["pro"])["preferences"]["messages"]["email"] is True


@pytest.mark.parametrize("category", ["booking", "payment"])
def test_transactional_emails_cannot_be_switched_off(session, now, people, category):
    with pytest.raises(Invalid) as caught:
        set_preferences(
            session,
            people["client"],
            {category: {"email": False}, "messages": {"email": False}},
            now,
        )
    assert caught.value.errors == {
        f"{category}.email": ["transactional emails cannot be switched off"]
    }
    # Nothing at all was applied.
    assert get_preferences(session, people["client"])["preferences"]["messages"]["email"] is True


def test_in_app_booking_notices_can_be_switched_off(session, now, people):
    view = set_preferences(
        session, people["client"], {"booking": {"in_app": False, "email": True}}, now
    )
    assert view["preferences"]["booking"] == {"email": True, "in_app": False}


def test_unknown_categories_and_channels_are_named(session, now, people):
    with pytest.raises(Invalid) as caught:
        set_preferences(
            session, people["client"], {"spam": {"email": False}, "messages": {"sms": True}}, now
        )
    assert set(caught.value.errors) == {"spam", "messages.sms"}


def test_preferences_need_a_signed_in_caller(session, people):
    with pytest.raises(Unauthorized):
        get_preferences(session, people["nobody"])


def test_channels_wanted_honours_choices_but_forces_transactional_email(session, now, people):
    set_preferences(
        session, people["client"], {"membership": {"email": False, "in_app": False}}, now
    )
    optional = channels_wanted(session, ["client1", "pro1"], "membership", transactional=False)
    assert optional == {"client1": set(), "pro1": {"email", "in_app"}}
    receipt = channels_wanted(session, ["client1"], "membership", transactional=True)
    assert receipt == {"client1": {"email"}}


def test_channels_wanted_copes_with_a_large_fan_out(session, now, people):
    set_preferences(session, people["client"], {"governance": {"email": False}}, now)
    ids = [f"m{i}" for i in range(1200)] + ["client1"]
    wanted = channels_wanted(session, ids, "governance", transactional=False)
    assert len(wanted) == 1201
    assert wanted["client1"] == {"in_app"} and wanted["m1199"] == {"email", "in_app"}
