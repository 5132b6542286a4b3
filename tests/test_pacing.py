"""Realtime playback: frames come out on the file's own schedule, and a slow reader is never rushed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_app.pacing import MAX_LAG_S, paced
from edge_app.sources import open_source


class FakeClock:
    """time.monotonic and time.sleep for a test: sleeping moves the clock, work is `advance`."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_frames_come_out_at_the_given_rate_without_drift():
    clock = FakeClock()
    times = []
    for _ in paced(range(5), 4.0, clock, clock.sleep):
        times.append(clock.now)
        clock.now += 0.01  # the reader's work per frame
    assert times == pytest.approx([100.0, 100.25, 100.5, 100.75, 101.0])


def test_a_slow_reader_is_not_rushed_and_a_long_stall_restarts_the_schedule():
    clock = FakeClock()
    work = iter([0.3, 0.0, 0.0, MAX_LAG_S + 1, 0.0, 0.0])
    times = []
    for _ in paced(range(6), 10.0, clock, clock.sleep):
        times.append(clock.now)
        clock.now += next(work)
    # frame 1 is late (0.3 s > 0.1 s): at once, frames 2 and 3 catch up to the schedule;
    # after a stall beyond MAX_LAG_S the schedule restarts instead of bursting frames out
    assert times[:4] == pytest.approx([100.0, 100.3, 100.3, 100.3])
    assert times[4] == pytest.approx(times[3] + MAX_LAG_S + 1)
    assert times[5] == pytest.approx(times[4] + 0.1)


def test_rate_must_be_positive():
    with pytest.raises(ValueError):
        list(paced([1], 0.0))


def test_video_file_reports_its_own_frame_rate(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12.5, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    source = open_source(str(path))
    try:
        assert source.fps == pytest.approx(12.5)
    finally:
        source.close()
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), np.zeros((8, 8, 3), np.uint8))
    assert open_source(str(image)).fps is None  # images have no rate: the app uses --fps
