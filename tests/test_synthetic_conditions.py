"""synthetic's real-photo conditions: drawn per frame, recorded in conditions.json, selectable, visible."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthetic
import synthetic.__main__ as synthetic_cli
from edge_app.errors import UserError
from synthetic import conditions as C
from synthetic import scene

SMALL = synthetic.SceneOptions(size=(200, 150), no_digit_fraction=0.2)


def test_every_frame_records_its_conditions_beside_plain_labels(tmp_path):
    labels = synthetic.generate(tmp_path, 30, seed=4, options=SMALL)
    on_disk = json.loads((tmp_path / synthetic.LABELS_NAME).read_text())
    assert on_disk == labels and all(isinstance(t, str) for t in on_disk.values())
    conditions = synthetic.read_conditions(tmp_path)
    assert conditions.keys() == labels.keys()
    known = {*C.CONDITIONS, scene.INVERTED}
    for name, names in conditions.items():
        assert set(names) <= known and sum(n in C.INKS for n in names) == 1, names
        if not labels[name]:  # no digit: nothing to touch, shrink or push to the edge
            assert not {"touching", "small_beside_tall", "frame_edge"} & set(names)
    seen = {n for names in conditions.values() for n in names}
    assert len(seen) >= 8  # all allowed by default: a mix, not one recipe


def test_folder_without_conditions_json_reads_as_none(tmp_path):
    synthetic.write_labels(tmp_path, {"a.jpg": "1"})
    assert synthetic.read_conditions(tmp_path) == {}
    (tmp_path / synthetic.CONDITIONS_NAME).write_text('{"a.jpg": "faint_pen"}')
    with pytest.raises(UserError, match="conditions.json"):
        synthetic.read_conditions(tmp_path)


def test_conditions_option_limits_what_appears(tmp_path):
    out = tmp_path / "red"
    assert synthetic_cli.main(["--out", str(out), "--count", "3", "--conditions", "red_ink"]) == 0
    assert {
        tuple(c for c in v if c != scene.INVERTED) for v in synthetic.read_conditions(out).values()
    } == {("red_ink",)}
    plain = tmp_path / "plain"
    assert synthetic_cli.main(["--out", str(plain), "--count", "2", "--conditions", ""]) == 0
    assert all(C.DEFAULT_INK in v for v in synthetic.read_conditions(plain).values())


def test_unknown_condition_is_one_error_line(tmp_path, capsys):
    assert synthetic_cli.main(["--out", str(tmp_path), "--conditions", "faint_pen,fog"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "fog" in err and "faint_pen" in err
    assert not (tmp_path / synthetic.LABELS_NAME).exists()


def test_fonts_are_not_a_default_style():
    assert "font" not in synthetic.SceneOptions().styles
    assert "font" in synthetic.STYLES  # still there for MNIST-free plumbing tests


def test_a_seed_gives_the_same_frame_and_conditions():
    a = synthetic.draw_frame("407", np.random.default_rng(11), SMALL)
    b = synthetic.draw_frame("407", np.random.default_rng(11), SMALL)
    assert a.conditions == b.conditions and np.array_equal(a.jpeg, b.jpeg)


def test_shares_of_conditions_follow_their_table():
    rng = np.random.default_rng(0)
    draws = [C.pick_conditions(rng, C.CONDITIONS, "1234") for _ in range(3000)]
    for name, share in C.CONDITION_SHARES.items():
        seen = np.mean([name in d for d in draws])
        expected = (
            share * (1 - C.CONDITION_SHARES["squared_paper"]) if name == "ruled_paper" else share
        )
        assert abs(seen - expected) < 0.03, name
    assert abs(np.mean(["blue_ink" in d for d in draws]) - C.INKS["blue_ink"][1]) < 0.03


def _layout(conditions: list[str], small: int = -1, seed: int = 0) -> list[tuple]:
    glyphs = [np.ones((100, 60), np.float32) for _ in range(3)]
    return scene._place_row(glyphs, np.random.default_rng(seed), 640, 480, conditions, small)


@pytest.mark.parametrize("seed", range(5))
def test_layouts_touch_shrink_and_reach_the_edge_when_asked(seed):
    plain = _layout([], seed=seed)
    assert all(x + a.shape[1] < nx for (a, x, _), (_, nx, _) in zip(plain, plain[1:], strict=False))
    touching = _layout(["touching"], seed=seed)
    assert all(
        x + a.shape[1] >= nx for (a, x, _), (_, nx, _) in zip(touching, touching[1:], strict=False)
    )
    small = _layout([], small=1, seed=seed)
    assert small[1][0].shape[0] <= 0.75 * min(small[0][0].shape[0], small[2][0].shape[0])
    edge = _layout(["frame_edge"], seed=seed)
    margins = [min(x, y, 640 - x - a.shape[1], 480 - y - a.shape[0]) for a, x, y in edge]
    tallest = max(a.shape[0] for a, _, _ in edge)
    assert min(margins) <= 0.05 * tallest  # within a few pixels of the edge, or past it


def _mean_bgr(frame_jpeg: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.imdecode(frame_jpeg, cv2.IMREAD_COLOR).reshape(-1, 3).mean(0)


def test_yellow_paper_is_yellow_and_shadows_darken_part_of_the_page():
    options = synthetic.SceneOptions(size=(200, 150), invert_fraction=0.0)
    frames = [synthetic.draw_frame("", np.random.default_rng(s), options) for s in range(60)]
    yellow = [f for f in frames if "yellow_paper" in f.conditions]
    white = [f for f in frames if "yellow_paper" not in f.conditions]
    ratio = [
        np.mean([(lambda m: m[0] / m[2])(_mean_bgr(f.jpeg)) for f in group])
        for group in (yellow, white)
    ]
    assert yellow and ratio[0] < ratio[1] - 0.1  # blue well below red on yellow paper
    page = np.ones((100, 200), np.float32)
    C.hard_shadow(page, 100, depth=0.5, soft_px=4, angle_deg=20)
    assert page[50, 10] == pytest.approx(1.0) and page[50, 190] == pytest.approx(0.5)
