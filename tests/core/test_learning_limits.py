"""core.learning.limits: "modified" feedback is range-checked, and learning never leaves the ranges.

The ranges are core.suggestions.rules.PARAMETER_LIMITS (an EQ cut's gain is -12..0 dB) and the
audible range of core.bands; a log written before the check existed may hold anything finite.
"""

from __future__ import annotations

import pytest

from core.errors import InvalidParameter
from core.learning import (
    FeedbackEvent,
    LearningProfile,
    ParameterOffset,
    adapt_parameters,
    build_profile,
    check_parameters,
    feedback_event,
    fold_event,
    parameter_range,
    personal_tips,
)
from core.learning.tables import PARAMETER_LEARNING_RATE
from tests.core.test_learning import EQ

CUT = dict(EQ.parameters)  # eq_cut on vocals: freq_hz 300, gain_db -3, q 1.4


def stored(after: dict[str, float], n: int) -> list[FeedbackEvent]:
    """``n`` "modified" events as an old log holds them: built without the range check."""
    return [
        feedback_event(EQ, user_id="u", kind="modified", at_s=float(i), parameters_after=after)
        for i in range(n)
    ]


def adapted(profile: LearningProfile) -> dict[str, float | int | str]:
    return dict(adapt_parameters(CUT, suggestion_type="eq_cut", track_type="vocals", profile=profile))


def test_ranges_come_from_the_move_limits_and_the_audible_range() -> None:
    assert parameter_range("eq_cut", "gain_db") == (-12.0, 0.0)
    assert parameter_range("eq_boost", "gain_db") == (0.0, 6.0)
    assert parameter_range("eq_cut", "freq_hz") == (20.0, 20000.0)
    assert parameter_range("cleanup", "freq_hz") == (1.0, 20000.0)  # DC removal sits at 10 Hz
    assert parameter_range("compression", "threshold_db") == (-144.0, 24.0)
    assert parameter_range("compression", "no_unit") is None


@pytest.mark.parametrize(
    ("after", "message"),
    [
        ({"gain_db": 1e308}, r"fb\.gain_db=1e\+308 is outside -12\.\.0, the range of gain_db for eq_cut"),
        ({"gain_db": -30.0}, r"fb\.gain_db=-30\.0 is outside -12\.\.0"),
        ({"freq_hz": -5}, r"fb\.freq_hz=-5 is outside 20\.\.20000"),
        ({"gain_db": float("inf")}, r"fb\.gain_db=inf must be a finite number"),
        ({"ratio": 2.0}, r"fb\.ratio: eq_cut has no such parameter \(it has freq_hz, gain_db, q\)"),
    ],
)
def test_check_names_the_parameter_the_value_and_the_range(after: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        check_parameters("eq_cut", CUT, after, where="fb")


def test_check_accepts_the_edges() -> None:
    check_parameters("eq_cut", CUT, {"gain_db": -12.0, "freq_hz": 20.0, "q": 40.0}, where="fb")
    check_parameters("eq_cut", CUT, {"gain_db": 0, "freq_hz": 20000}, where="fb")


def test_feedback_at_the_limit_adapts_to_the_limit_not_past_it() -> None:
    """The report's -12.29 dB: an offset learnt from -30 took a -3 dB cut past the -12 dB cap."""
    for after, n in (({"gain_db": -12.0}, 60), ({"gain_db": -30.0}, 60)):
        gain = adapted(build_profile(stored(after, n), user_id="u"))["gain_db"]
        assert isinstance(gain, float) and -12.0 <= gain <= 0.0
    assert adapted(build_profile(stored({"gain_db": -30.0}, 60), user_id="u"))["gain_db"] == -12.0


def test_adapted_values_are_rounded_for_display() -> None:
    params = adapted(build_profile(stored({"gain_db": -6.1, "freq_hz": 333.3}, 3), user_id="u"))
    assert params["gain_db"] == -5.0  # -3 + 0.657 * -3.1 = -5.0367
    assert params["freq_hz"] == 321.0  # 300 * (333.3 / 300) ** 0.657 = 321.47


def test_huge_stored_feedback_learns_a_bounded_offset() -> None:
    """The black-box report: 1e308 dB and -5 Hz in the log turned every cut into +3e307 dB."""
    events = stored({"gain_db": 1e308, "freq_hz": -5.0}, 3) + stored({"freq_hz": 1e308, "q": 1e-300}, 3)
    profile = build_profile(events, user_id="u")
    offsets = {o.parameter: o.offset for o in profile.offsets}
    assert 0.0 < offsets["gain_db"] <= 12.0 and abs(offsets["freq_hz"]) <= 6.91 and abs(offsets["q"]) <= 6.91
    params = adapted(profile)
    assert params["gain_db"] == -1.0  # 1e308 counts as 0 dB (no cut): -3 + 0.657 * 3, still a cut
    assert 20.0 <= float(params["freq_hz"]) <= 20000.0 and 0.1 <= float(params["q"]) <= 40.0
    tips = " ".join(t.message for t in personal_tips(profile, limit=10))
    assert "gain_db +2.0 from" in tips and "e+" not in tips and len(tips) < 600


def test_a_stale_profile_with_absurd_offsets_is_clamped_when_read() -> None:
    """A profile stored (Redis) by the old fold: its offsets are bounded where they are used."""
    offsets = tuple(
        ParameterOffset("eq_cut", "vocals", name, offset, 5)
        for name, offset in (("gain_db", 3e307), ("freq_hz", -700.0), ("q", 700.0))
    )
    profile = LearningProfile(user_id="u", events=5, offsets=offsets)
    params = adapted(profile)
    assert params == {"freq_hz": 20.0, "gain_db": 0.0, "q": 40.0}
    messages = [t.message for t in personal_tips(profile, limit=10)]
    assert "On vocals you set eq cut gain_db +12.0 from what Codette suggests" in " ".join(messages)
    assert "q 1000 times what Codette suggests" in " ".join(messages)
    assert all(len(m) < 200 for m in messages)


def test_the_fold_stays_bounded_from_a_stale_profile() -> None:
    """Folding new feedback onto an old absurd offset starts from its bound, not from 3e307."""
    stale = ParameterOffset("eq_cut", "vocals", "gain_db", 3e307, 9)
    after = fold_event(LearningProfile(user_id="u", offsets=(stale,)), stored({"gain_db": -6.0}, 1)[0])
    assert after.offsets[0].offset == pytest.approx(12.0 + PARAMETER_LEARNING_RATE * (-3.0 - 12.0))
