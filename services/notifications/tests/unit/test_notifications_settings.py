from datetime import timedelta

import pytest
from loconomics_notifications.settings import NotificationSettings
from loconomics_notifications.smtp_sender import SmtpSettings


def test_defaults_reach_the_local_sink_from_a_no_reply_address():
    settings = NotificationSettings.from_env({})
    assert settings.smtp == SmtpSettings()
    assert (settings.mailbox.address, settings.mailbox.display_name) == (
        "no-reply@loconomics.coop",
        "Loconomics",
    )
    assert settings.mailbox.link_base is None
    assert settings.default_zone == "UTC"
    assert settings.retry.first_delay == timedelta(minutes=1)


def test_everything_can_be_set_from_the_environment():
    settings = NotificationSettings.from_env(
        {
            "SMTP_HOST": "smtp.example.org",
            "SMTP_PORT": "465",
            "SMTP_SECURITY": "ssl",
            "SMTP_FROM": "Coop Mail <hello@coop.example>",
            "NOTIFICATIONS_APP_URL": "https://app.coop.example",
            "NOTIFICATIONS_DEFAULT_TIME_ZONE": "America/Los_Angeles",
            "NOTIFICATIONS_RETRY_FIRST_SECONDS": "2",
            "NOTIFICATIONS_RETRY_MAX_SECONDS": "30",
            "NOTIFICATIONS_RETRY_ATTEMPTS": "3",
            "NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS": "0.5",
        }
    )
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == (
        "smtp.example.org",
        465,
        "ssl",
    )
    mailbox = settings.mailbox
    assert (mailbox.address, mailbox.display_name, mailbox.message_id_domain) == (
        "hello@coop.example",
        "Coop Mail",
        "coop.example",
    )
    assert mailbox.link_base == "https://app.coop.example"
    assert settings.default_zone == "America/Los_Angeles"
    assert [settings.retry.delay_after(n).total_seconds() for n in (1, 2, 5)] == [2, 4, 30]
    assert settings.retry.max_attempts == 3
    assert settings.delivery_interval == 0.5


@pytest.mark.parametrize(
    "env",
    [
        {"SMTP_FROM": "nobody"},
        {"NOTIFICATIONS_DEFAULT_TIME_ZONE": "Mars/Olympus"},
        {"SMTP_SECURITY": "tls1.0"},
    ],
)
def test_a_wrong_setting_stops_the_service_from_starting(env):
    with pytest.raises(ValueError):
        NotificationSettings.from_env(env)
