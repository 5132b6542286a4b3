"""The counter rule (--monotonic, --max-step): a meter only counts up, and never by a leap.

A reading that breaks the rule is held back: the reader keeps reporting the last good number and
marks the frame implausible, so a dashboard never sees a misread dip or spike. Readings that are
not a whole number (an unsure digit "?", nothing read) cannot be judged against a counter and are
held back the same way. There is no memory across restarts: the first number read is accepted,
which is also how a replaced or reset meter is taken on (restart the reader).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CounterRule:
    """What a plausible next meter reading is."""

    max_step: int | None = None  # largest rise from the last good reading; None = any rise


class CounterCheck:
    """Feed it each frame's text; it says what to report and whether the frame was plausible."""

    def __init__(self, rule: CounterRule) -> None:
        self.rule = rule
        self.last_good: int | None = None
        self.last_good_text = ""  # as read, leading zeros kept: "00421" stays "00421"

    def is_plausible(self, value: int) -> bool:
        """True for the first number, and for one that neither went down nor rose by more than max_step."""
        if self.last_good is None:
            return True
        step = value - self.last_good
        return step >= 0 and (self.rule.max_step is None or step <= self.rule.max_step)

    def update(self, text: str) -> tuple[str, bool]:
        """Return (text to report, plausible): the new reading if it passes, else the last good one."""
        if not (text.isascii() and text.isdigit()):
            return self.last_good_text, False
        value = int(text)
        if not self.is_plausible(value):
            return self.last_good_text, False
        self.last_good, self.last_good_text = value, text
        return text, True
