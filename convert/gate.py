"""The accuracy gate: refuse quantized models that lost accuracy or disagree with the float model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from convert.evaluate import VariantEval
from convert.opencv_dnn import OPENCV_MIN_AGREEMENT
from convert.variants import dynamic_shape_ops
from edge_app.errors import UserError

DEFAULT_MAX_DROP_PP = 0.5
DEFAULT_MIN_AGREEMENT = 0.99
# float32 TFLite is the same arithmetic as Keras: anything below this is a conversion bug.
FLOAT32_MIN_AGREEMENT = 0.999


@dataclass(frozen=True)
class GateOptions:
    """Thresholds of the gate."""

    max_drop_pp: float = DEFAULT_MAX_DROP_PP  # allowed accuracy drop vs float Keras / baseline, pp
    min_agreement: float = DEFAULT_MIN_AGREEMENT  # minimum top-1 agreement with float Keras
    float32_min_agreement: float = FLOAT32_MIN_AGREEMENT
    opencv_min_agreement: float = OPENCV_MIN_AGREEMENT


@dataclass(frozen=True)
class GateResult:
    """Whether the variants may ship, and why not."""

    passed: bool
    reasons: tuple[str, ...]
    options: GateOptions
    baseline: str | None = None

    def to_json(self) -> dict:
        return {
            "passed": self.passed,
            "max_drop_pp": self.options.max_drop_pp,
            "min_agreement": self.options.min_agreement,
            "float32_min_agreement": self.options.float32_min_agreement,
            "opencv_min_agreement": self.options.opencv_min_agreement,
            "baseline": self.baseline,
            "reasons": list(self.reasons),
        }


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def load_baseline(path: Path) -> dict[str, float]:
    """Return {variant: accuracy} from a previous convert_report.json, else raise UserError."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        accuracies = {
            name: float(v["accuracy"]) for name, v in report["variants"].items() if "accuracy" in v
        }
    except OSError as e:
        raise UserError(f"cannot read --baseline {path}: {e.strerror or e}") from e
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise UserError(
            f"--baseline {path} is not a convert_report.json (needs variants -> name -> accuracy)"
        ) from e
    if not accuracies:
        raise UserError(f"--baseline {path} lists no variant accuracies")
    return accuracies


def check_gate(
    float_accuracy: float,
    evals: Mapping[str, VariantEval],
    options: GateOptions = GateOptions(),
    baseline: Mapping[str, float] | None = None,
    baseline_name: str | None = None,
) -> GateResult:
    """Check every evaluated variant against float Keras (and a baseline report, if given)."""
    reasons = []
    for name, ev in evals.items():
        both = f"{name} {_pct(ev.accuracy)} vs float Keras {_pct(float_accuracy)}"
        drop_pp = 100 * (float_accuracy - ev.accuracy)
        if drop_pp > options.max_drop_pp:
            reasons.append(
                f"{name}: accuracy {_pct(ev.accuracy)} is {drop_pp:.2f} pp below float Keras "
                f"{_pct(float_accuracy)} (max drop {options.max_drop_pp:g} pp)"
            )
        if ev.agreement_with_float < options.min_agreement:
            reasons.append(
                f"{name}: top-1 agreement with float Keras {ev.agreement_with_float:.4f} is below "
                f"{options.min_agreement:g} (accuracy {both})"
            )
        if name == "float32" and ev.agreement_with_float < options.float32_min_agreement:
            reasons.append(
                f"float32: TFLite agrees with Keras on only {ev.agreement_with_float:.4f} of test "
                f"images, need {options.float32_min_agreement:g} (accuracy {both}): conversion bug"
            )
        if ev.one_image_agreement < 1.0:
            reasons.append(
                f"{name}: batched and one-image top-1 differ ({ev.one_image_agreement:.4f} agree, "
                f"need 1; accuracy {both})"
            )
        if bad := dynamic_shape_ops(ev.ops):
            reasons.append(
                f"{name}: graph has dynamic-shape ops {bad} (OpenCV DNN and TFLite Micro reject them)"
            )
        if name == "float32" and (
            not ev.opencv.loaded
            or (ev.opencv.agreement_with_litert or 0.0) < options.opencv_min_agreement
        ):
            got = (
                f"agreement {ev.opencv.agreement_with_litert:.4f}"
                if ev.opencv.loaded
                else f"load error: {ev.opencv.error}"
            )
            reasons.append(
                f"float32: OpenCV DNN top-1 does not match LiteRT ({got}, need "
                f"{options.opencv_min_agreement:g})"
            )
        if baseline and name in baseline:
            base = baseline[name]
            fell_pp = 100 * (base - ev.accuracy)
            if fell_pp > options.max_drop_pp:
                reasons.append(
                    f"{name}: accuracy {_pct(ev.accuracy)} fell {fell_pp:.2f} pp below baseline "
                    f"{_pct(base)} (max drop {options.max_drop_pp:g} pp)"
                )
    return GateResult(
        passed=not reasons, reasons=tuple(reasons), options=options, baseline=baseline_name
    )
