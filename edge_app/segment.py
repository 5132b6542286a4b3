"""From an ink map to digit candidates: strokes, pieces merged into digits, non-digits dropped."""

from __future__ import annotations

import statistics
from typing import NamedTuple

import cv2
import numpy as np

from edge_app.band import free_digits, may_hold_digit
from edge_app.ink import INK_MAX
from edge_app.lines import LINE_SPAN, line_mask
from edge_app.normalize import stroke_width
from edge_app.options import DEFAULT_OPTIONS, ReaderOptions
from edge_app.reject import is_rim, paper_step

LOW_INK_FRACTION = 0.6  # hysteresis: strokes grow down to this share of the stroke threshold
MIN_COMPONENT_AREA_PX = 6  # at work size: smaller components are sensor noise
MIN_RELATIVE_AREA = 0.02  # of the largest component: smaller ones are dust, not strokes
MAX_FRAME_SHARE = 0.95  # a piece this much of the frame's width or height is the page, not a digit
# Of a piece's longer side: the most it may run along the frame edge and stay. A digit cut by the
# edge runs along it for up to its width (the loop of an 8, the base of a 2); more wraps a corner,
# as the page's rim does. A shadow's rim crossing the edge is told by the paper (see _pieces).
EDGE_CONTACT_SHARE = 1.0
# Of the frame height: a piece touching the edge is at least this tall (a digit of a small number) ...
EDGE_MIN_SHARE = 0.1
EDGE_MIN_WIDTH = 0.2  # ... and this wide for its height (a page border's rim is a thin strip)
MERGE_OVERLAP = 0.6  # share of the narrower box two pieces must share in x to be one digit
MERGE_GAP = 0.3  # vertical gap, as a share of the taller piece, still bridged within one digit
MERGE_CUT_GAP = 0.15  # vertical gap, as a share of the taller piece, where a line was taken out
MERGE_SIDE_GAP = 0.1  # horizontal gap, as a share of the taller piece, bridged for a short piece
MERGE_SHORT = 0.6  # a piece shorter than this share of its neighbour may be a lifted-pen stroke
# Of the median digit height: a group whose longer side is shorter is a speck.
MIN_RELATIVE_SIZE = 0.4
MAX_ASPECT_WIDE = 1.6  # width / height above this is a line or a smudge ...
MAX_ASPECT_FLAT_DIGIT = 3.0  # ... unless it is open, flat strokes (a flat "2", touching digits)
# ... or, up to this, a squashed digit: its strokes are thick for its height (a line's are thin).
MAX_ASPECT_SQUASHED = 3.5
SQUASHED_MIN_STROKE_RATIO = 0.25  # stroke width / height
# Ink share of the box below which a wide group is strokes; thick bars are caught as blots.
FLAT_DIGIT_MAX_FILL = 0.6
# Ink share of the box above which a roundish group is a blot (bold digits reach 0.75).
BLOB_FILL = 0.85
BLOB_STROKE_RATIO = 0.34  # stroke width / height above this is a blot (marker digits stay < 0.25)
BLOB_MAX_ASPECT = 1.5  # height / width: taller groups are bars (a short thick 1), never blots
MAX_COMPARED_IDS = 4  # pieces of one digit found by comparing labels; more by a lookup table
_MAX_LABELS_16U = np.iinfo(np.uint16).max


class Candidate(NamedTuple):
    """A digit found by segmentation, in work-image pixels."""

    mask: np.ndarray  # bool strokes of the digit inside its box
    box: tuple[int, int, int, int]  # x, y, w, h
    stroke_px: float  # estimated stroke width (see stroke_width)


def _same_digit(a: list[int], b: list[int]) -> bool:
    """True when spans a and b (x0, y0, x1, y1) look like two pieces of one digit."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    gap = max(a[1], b[1]) - min(a[3], b[3])
    ha, hb = a[3] - a[1], b[3] - b[1]
    taller, shorter = max(ha, hb), min(ha, hb)
    if overlap >= MERGE_OVERLAP * min(a[2] - a[0], b[2] - b[0]) and gap <= MERGE_GAP * taller:
        return True  # stacked: the bar of a 5 above its belly
    if overlap > 0 and gap <= MERGE_CUT_GAP * taller:
        return True  # one stroke cut by a ruled line that was taken out
    # A short stroke right beside a digit (the lifted-pen half of a 4) is part of it.
    return -overlap <= MERGE_SIDE_GAP * taller and shorter < MERGE_SHORT * taller and gap < 0


def _merge_groups(boxes: list[list[int]]) -> list[list[int]]:
    """Group indices of (x, y, w, h) boxes that are pieces of one digit, left to right.

    Plain Python ints: a noisy frame has dozens of specks, and NumPy scalars cost more than they save.
    """
    groups: list[tuple[list[int], list[int]]] = []  # (members, [x0, y0, x1, y1])
    for i in sorted(range(len(boxes)), key=lambda k: boxes[k][0]):
        x0, y0, w, h = boxes[i]
        span = [x0, y0, x0 + w, y0 + h]
        members = [i]
        for g in groups[::-1]:  # a piece may join, or bridge, any earlier group (a copy: we remove)
            if _same_digit(span, g[1]):
                members += g[0]
                span = [
                    min(span[0], g[1][0]),
                    min(span[1], g[1][1]),
                    max(span[2], g[1][2]),
                    max(span[3], g[1][3]),
                ]
                groups.remove(g)
        groups.append((members, span))
    groups.sort(key=lambda g: g[1][0])
    return [sorted(m) for m, _ in groups]


def _edge_contact(
    labels: np.ndarray, n: int, origin: tuple[int, int], frame: tuple[int, int]
) -> tuple[list[int], list[int]]:
    """Return, per label, the pixels it has on the frame's border and the runs they form.

    `labels` covers the box of the frame's ink at `origin` (x, y) of a frame of shape `frame`; a
    side of the box that is not the frame's side has no ink beyond it, so no label touches there.
    """
    (x0, y0), (h_img, w_img) = origin, frame
    h, w = labels.shape
    if x0 > 0 and y0 > 0 and x0 + w < w_img and y0 + h < h_img:
        return [0] * n, [0] * n

    def row(r: int) -> np.ndarray:
        line = np.zeros(w_img, labels.dtype)
        if y0 <= r < y0 + h:
            line[x0 : x0 + w] = labels[r - y0]
        return line

    def column(c: int) -> np.ndarray:  # without the corners, which the rows hold
        line = np.zeros(max(0, h_img - 2), labels.dtype)
        if x0 <= c < x0 + w:
            line[max(0, y0 - 1) : y0 + h - 1] = labels[max(0, 1 - y0) : h_img - 1 - y0, c - x0]
        return line

    border = np.concatenate([row(0), row(h_img - 1), column(0), column(w_img - 1)])
    starts = np.concatenate([[True], border[1:] != border[:-1]])
    contact = np.bincount(border, minlength=n).tolist()
    return contact, np.bincount(border[starts], minlength=n).tolist()


def _components(weak: np.ndarray):
    # 16-bit labels are about twice as fast; 8-connected components are at most a quarter of the
    # pixels, so they fit unless the work image is huge.
    ltype = cv2.CV_16U if weak.size // 4 < _MAX_LABELS_16U else cv2.CV_32S
    return cv2.connectedComponentsWithStats(weak, connectivity=8, ltype=ltype)[:3]


def _members(labels: np.ndarray, ids: list[int], n: int) -> np.ndarray:
    """Return where `labels` is one of `ids`: a comparison per id beats a lookup for a few ids."""
    if len(ids) > MAX_COMPARED_IDS:
        member = np.zeros(n, bool)
        member[ids] = True
        return member[labels]
    mask = labels == ids[0]
    for i in ids[1:]:
        mask |= labels == i
    return mask


def _is_digit_shape(bw: int, bh: int, filled: int, min_height_px: int) -> bool:
    """True when a group's box and ink could be a digit: not a speck, bar, line or blot."""
    if bh < min_height_px:
        return False
    fill = filled / max(1, bw * bh)
    if bw > MAX_ASPECT_WIDE * bh and (bw > MAX_ASPECT_SQUASHED * bh or fill > FLAT_DIGIT_MAX_FILL):
        return False
    return not (fill > BLOB_FILL and bh < BLOB_MAX_ASPECT * bw)


def _pieces(
    labels: np.ndarray,
    n: int,
    stats: np.ndarray,
    strong: np.ndarray,
    origin: tuple[int, int],
    frame: tuple[int, int],
    paper: tuple[np.ndarray, bool] | None = None,
) -> tuple[list[int], np.ndarray]:
    """Return the labels that may be strokes of a digit (not noise, dust, the page or its edge)
    and `stats` with a row for each piece given a new label (see edge_app.band).

    Pieces that are the page (a border, a shadow) are dropped before merging so they cannot
    swallow a digit. A piece may touch the frame edge where a stroke runs off it (the tail of a
    big 2 in a close-up, a 0 or 8 cut by it): one or two runs of a not tiny, not thin piece; a
    page border or its rim is a thin strip along the edge, or wraps its corner. With `paper`
    (the grey work image, whether its ink is dark), a shadow's rim that leaves the frame, which
    is shaped like a stroke, is told by the step in the paper's brightness around it.
    """
    h_img, w_img = frame
    area = stats[:, cv2.CC_STAT_AREA]
    # Most labels of a grainy page are specks: NumPy drops them, plain Python judges the rest.
    has_strong = np.bincount(labels[strong], minlength=n) > 0
    has_strong[0] = False
    rows = np.flatnonzero(has_strong & (area >= MIN_COMPONENT_AREA_PX)).tolist()
    if not rows:
        return [], stats
    contact, runs = _edge_contact(labels, n, origin, frame)
    kept, bands = [], []
    for i, (x, y, w, h, a) in zip(rows, stats[rows].tolist(), strict=True):
        page = h >= MAX_FRAME_SHARE * h_img or w >= MAX_FRAME_SHARE * w_img
        if page or (
            contact[i]
            and not (
                runs[i] <= 2
                and contact[i] <= EDGE_CONTACT_SHARE * max(w, h)
                and h >= EDGE_MIN_SHARE * h_img
                and w >= EDGE_MIN_WIDTH * h
            )
        ):
            if may_hold_digit((x + origin[0], y + origin[1], w, h), a, frame):
                bands.append(i)
            continue
        if contact[i] and paper is not None:
            mask = labels[y : y + h, x : x + w] == i
            box = (x + origin[0], y + origin[1], w, h)
            if is_rim(paper_step(mask.view(np.uint8), box, *paper, stroke_width(mask))):
                continue
        kept.append((i, a))
    if bands and kept:  # a digit touching the table's band was dropped with it
        freed = free_digits(
            labels, stats, bands, [i for i, _ in kept], strong, origin, frame, MIN_COMPONENT_AREA_PX
        )
        kept += [(len(stats) + k, a) for k, a in enumerate(freed[:, cv2.CC_STAT_AREA].tolist())]
        stats = np.concatenate([stats, freed]) if len(freed) else stats
    if not kept:
        return [], stats
    least = MIN_RELATIVE_AREA * max(a for _, a in kept)
    return [i for i, a in kept if a >= least], stats


def find_digit_boxes(
    ink: np.ndarray,
    threshold: float,
    options: ReaderOptions = DEFAULT_OPTIONS,
    paper: tuple[np.ndarray, bool] | None = None,
) -> list[Candidate]:
    """Return the digit candidates of an ink map (uint8, from ink_map), left to right.

    `paper` is the grey image the map was made from and whether its ink is dark: with it, a
    shadow's rim on the frame edge is not taken for a digit cut by the edge.

    Strokes are pixels over `threshold`, grown by hysteresis down to LOW_INK_FRACTION of it; ruled
    and grid lines are taken out, the pieces of one digit are merged, and specks, lines, blobs and
    page edges are dropped. `edge_app.split` offers the digits a wide candidate may be.
    """
    # cv2.threshold is several times faster than a NumPy comparison on a uint8 image.
    weak = cv2.threshold(ink, threshold * LOW_INK_FRACTION * INK_MAX, 1, cv2.THRESH_BINARY)[1]
    # Labelling costs per pixel: label only the box around the ink (on a clean page a fraction of it).
    ox, oy, bw_ink, bh_ink = cv2.boundingRect(weak)
    if bw_ink == 0:
        return []
    frame = weak.shape
    weak = weak[oy : oy + bh_ink, ox : ox + bw_ink]
    strong = cv2.threshold(
        ink[oy : oy + bh_ink, ox : ox + bw_ink], threshold * INK_MAX, 1, cv2.THRESH_BINARY
    )[1].view(bool)
    n, labels, stats = _components(weak)
    # Only ink spanning LINE_SPAN of the frame can hold a line: most frames skip the search.
    if max(bw_ink / frame[1], bh_ink / frame[0]) >= LINE_SPAN:
        lines = line_mask(weak, stats, frame)
        if lines is not None:
            weak[lines] = 0
            n, labels, stats = _components(weak)
    ids, stats = _pieces(labels, n, stats, strong, (ox, oy), frame, paper)
    n = len(stats)
    if len(ids) == 0 or len(ids) > 8 * options.max_digits:
        return []
    boxes = stats[ids, :4].tolist()
    areas = stats[ids, cv2.CC_STAT_AREA].tolist()
    groups = []
    for group in _merge_groups(boxes):
        x0 = min(boxes[i][0] for i in group)
        y0 = min(boxes[i][1] for i in group)
        bw = max(boxes[i][0] + boxes[i][2] for i in group) - x0
        bh = max(boxes[i][1] + boxes[i][3] for i in group) - y0
        if _is_digit_shape(bw, bh, sum(areas[i] for i in group), options.min_digit_height_px):
            groups.append(([ids[i] for i in group], (x0, y0, bw, bh)))
    if not groups:
        return []
    # Relative to the median, not the tallest: a small 0 beside a tall 1 is a digit, a full stop
    # beside a number is not.
    typical = statistics.median(box[3] for _, box in groups)
    groups = [g for g in groups if max(g[1][2], g[1][3]) >= MIN_RELATIVE_SIZE * typical]
    if len(groups) > options.max_digits:
        return []
    out = []
    for group_ids, box in groups:
        bx, by, bw, bh = box
        mask = _members(labels[by : by + bh, bx : bx + bw], group_ids, n)
        width = stroke_width(mask)
        if width > BLOB_STROKE_RATIO * bh and bh < BLOB_MAX_ASPECT * bw:
            continue  # a blot is all stroke: its "stroke width" is a large share of its height
        if bw > MAX_ASPECT_FLAT_DIGIT * bh and width < SQUASHED_MIN_STROKE_RATIO * bh:
            continue  # too wide for flat strokes and too thin for a squashed digit: a line
        out.append(Candidate(mask, (bx + ox, by + oy, bw, bh), width))
    return out
