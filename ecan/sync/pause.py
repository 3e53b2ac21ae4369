"""How long a pause lasts, as people say it: "30m", "1h", "2h30m", "tomorrow". One reading for
the CLI (`ecan sync --pause`) and the window's menus; the engine only sees the end time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ecan.errors import UserFacingError

# "Until tomorrow" ends at the next local 08:00 (after a night, at the start of a working day),
# not at midnight: a pause chosen in the evening then lasts the night through.
MORNING_HOUR = 8
LONGEST = timedelta(days=30)


class DurationError(UserFacingError):
    """A pause length ecan cannot read: a usage error (the CLI exits 2)."""

    exit_code = 2

    def __init__(self, duration: str, message: str, hint: str) -> None:
        super().__init__("invalid_duration", message.format(duration=duration[:40]), hint)


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?(?:(\d+)s)?$")


def next_morning(now: datetime) -> datetime:
    """The next local MORNING_HOUR:00 after `now` (an aware local datetime)."""
    morning = now.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)
    return morning if morning > now else morning + timedelta(days=1)


def pause_end(duration: str | None, now: datetime | None = None) -> float | None:
    """The epoch time a pause of `duration` ends; None (no duration): until resumed.
    Raises DurationError (code invalid_duration) for anything else."""
    if duration is None or not duration.strip():
        return None
    now = now or datetime.now().astimezone()
    text = duration.strip().lower().replace(" ", "")
    if text == "tomorrow":
        return next_morning(now).timestamp()
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise DurationError(
            duration, "'{duration}' is not a duration.",
            "Give hours and minutes such as 30m, 1h or 2h30m, or the word tomorrow.")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if span <= timedelta(0) or span > LONGEST:
        raise DurationError(
            duration, "'{duration}' is not a pause ecan can take.",
            "Pause for between a second and 30 days, or without a duration until you resume.")
    return (now + span).timestamp()
