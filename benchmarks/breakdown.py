"""Why frames were misread: each reading's outcome (too few digits, too many, wrong ones, a false
number on an empty page), counted per recorded condition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ALL_FRAMES = "all"  # the first row: every frame, whatever its conditions
EXACT, TOO_FEW, TOO_MANY, WRONG_DIGITS = "exact", "too_few", "too_many", "wrong_digits"
EMPTY_READ, FALSE_READING = "empty_read", "false_reading"  # outcomes of a frame with no digit


def outcome(truth: str, text: str) -> str:
    """Return how the reading `text` of a frame showing `truth` went (one of the names above).

    A number read as "" counts as too few digits; an unsure digit ("?") as a wrong one.
    """
    if not truth:
        return EMPTY_READ if text == "" else FALSE_READING
    if text == truth:
        return EXACT
    if len(text) != len(truth):
        return TOO_FEW if len(text) < len(truth) else TOO_MANY
    return WRONG_DIGITS


@dataclass(frozen=True)
class ConditionRow:
    """Outcomes of the frames drawn with one condition (or of all frames)."""

    condition: str
    frames: int
    number_frames: int  # frames showing a number
    exact: int  # number frames read exactly
    too_few: int  # number frames read with fewer digits (or none)
    too_many: int  # number frames read with more digits
    wrong_digits: int  # number frames read with the right count but a wrong or unsure digit
    blank_frames: int  # frames with no digit
    false_readings: int  # blank frames read as a number
    exact_match: float  # exact / number_frames (0 when there are none)
    false_reading_rate: float  # false_readings / blank_frames (0 when there are none)


def _row(condition: str, outcomes: list[str]) -> ConditionRow:
    counts = {name: outcomes.count(name) for name in (EXACT, TOO_FEW, TOO_MANY, WRONG_DIGITS)}
    numbers = sum(counts.values())
    false = outcomes.count(FALSE_READING)
    blanks = false + outcomes.count(EMPTY_READ)
    return ConditionRow(
        condition=condition,
        frames=len(outcomes),
        number_frames=numbers,
        blank_frames=blanks,
        false_readings=false,
        exact_match=counts[EXACT] / numbers if numbers else 0.0,
        false_reading_rate=false / blanks if blanks else 0.0,
        **counts,
    )


def by_condition(
    outcomes: Mapping[str, str], conditions: Mapping[str, Iterable[str]]
) -> tuple[ConditionRow, ...]:
    """Return the row of all frames, then one row per condition (by name) found in `conditions`.

    `outcomes` is {file name: outcome}; a file missing from `conditions` is only in the first row.
    """
    groups: dict[str, list[str]] = {}
    for name, result in outcomes.items():
        for condition in set(conditions.get(name, ())):
            groups.setdefault(condition, []).append(result)
    rows = [_row(ALL_FRAMES, list(outcomes.values()))]
    return (*rows, *(_row(c, groups[c]) for c in sorted(groups)))


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total} {100 * hits / total:5.1f}%" if total else "-"


def format_table(rows: Iterable[ConditionRow]) -> str:
    """Return the rows as a plain-text table, one line per condition."""
    head = ("condition", "frames", "exact", "too few", "too many", "wrong", "false on empty")
    lines = [
        (
            row.condition,
            str(row.frames),
            _share(row.exact, row.number_frames),
            str(row.too_few),
            str(row.too_many),
            str(row.wrong_digits),
            _share(row.false_readings, row.blank_frames),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in (head, *lines)) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in (head, *lines)
    )
