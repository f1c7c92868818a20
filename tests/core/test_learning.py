"""core.learning: events, the profile fold, the population prior, adaptation, report, export/import."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from core.errors import InvalidParameter
from core.learning import (
    FeedbackEvent,
    FeedbackKind,
    LearningData,
    Population,
    adapt_parameters,
    build_population,
    build_profile,
    effectiveness,
    expire_impressions,
    export_learning,
    feedback_event,
    fold_event,
    import_learning,
    impression,
    learning_report,
    personal_tips,
    prior,
)
from core.learning.tables import BASE_RATE, EVIDENCE_DECAY, PARAMETER_LEARNING_RATE, PRIOR_STRENGTH


@dataclass(frozen=True)
class Target:
    track_id: str
    band: str | None = None


@dataclass(frozen=True)
class Sug:
    id: str
    type: str
    target: Target = Target("t1")
    track_type: str | None = "vocals"
    priority: int = 3
    confidence: float = 0.8
    parameters: dict[str, float | int | str] = field(default_factory=dict)


EQ = Sug("s-eq", "eq_cut", parameters={"freq_hz": 300.0, "gain_db": -3.0, "q": 1.4})
COMP = Sug("s-comp", "compression", parameters={"ratio": 3.0, "threshold_db": -18.0})
KINDS = list(FeedbackKind)


def random_events(user_id: str, n: int, *, seed: int) -> list[FeedbackEvent]:
    """A mixed, seeded stream: every kind, ratings, comments and modifications."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        s = (EQ, COMP)[int(rng.integers(2))]
        kind = KINDS[int(rng.integers(len(KINDS)))]
        after = None
        if kind is FeedbackKind.MODIFIED:
            after = {k: v * float(rng.uniform(0.5, 1.5)) for k, v in s.parameters.items()}
        rating = int(rng.integers(1, 6)) if rng.random() < 0.3 else None
        out.append(
            feedback_event(
                s,
                user_id=user_id,
                kind=kind.value,
                at_s=1000.0 + i * 1.7,
                rating=rating,
                comment="ok" if rating else None,
                parameters_after=after,
            )
        )
    return out


def test_build_profile_is_the_fold_of_fold_event():
    events = random_events("alice", 300, seed=1)
    profile = build_profile([], user_id="alice")
    for e in events:
        profile = fold_event(profile, e)
    assert profile == build_profile(events, user_id="alice")
    assert profile.events == 300


def test_profile_counts_and_decayed_evidence_follow_the_table():
    events = [feedback_event(EQ, user_id="u", kind="applied", at_s=float(i)) for i in range(3)]
    events.append(feedback_event(EQ, user_id="u", kind="negative", at_s=3.0, rating=2))
    stats = build_profile(events, user_id="u").stats("eq_cut", "vocals")
    assert stats is not None
    assert (stats.applied, stats.negative, stats.ratings, stats.rating_sum) == (3, 1, 1, 2)
    d = EVIDENCE_DECAY
    want_success = ((1.0 * d + 1.0) * d + 1.0) * d + 0.25  # rating 2 adds 1/4 success, 3/4 failure
    assert stats.successes == pytest.approx(want_success)
    assert stats.failures == pytest.approx(1.0 + 0.75)


def test_a_profile_refuses_another_users_event():
    with pytest.raises(InvalidParameter, match="bob"):
        build_profile([feedback_event(EQ, user_id="bob", kind="applied", at_s=0.0)], user_id="alice")


def test_profile_and_population_round_trip_through_json():
    profile = build_profile(random_events("alice", 120, seed=2), user_id="alice")
    text = json.dumps(profile.to_dict(), allow_nan=False)
    assert type(profile).from_dict(json.loads(text)) == profile
    pop = build_population([profile, build_profile(random_events("bob", 50, seed=3), user_id="bob")])
    assert Population.from_dict(json.loads(json.dumps(pop.to_dict()))) == pop


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [
        ({"kind": "loved"}, "kind"),
        ({"kind": "applied", "rating": 6}, "rating"),
        ({"kind": "applied", "rating": True}, "rating"),
        ({"kind": "modified"}, "parameters_after"),
        ({"kind": "applied", "parameters_after": {"gain_db": -4.0}}, "parameters_after"),
        ({"kind": "modified", "parameters_after": {"gain_db": "deep"}}, "parameters_after.gain_db"),
        ({"kind": "applied", "at_s": math.inf}, "at_s"),
    ],
)
def test_bad_feedback_names_the_field(kwargs: dict[str, object], field_name: str):
    args = {"user_id": "u", "at_s": 0.0, **kwargs}
    with pytest.raises(InvalidParameter, match=field_name.replace(".", r"\.")):
        feedback_event(EQ, **args)  # type: ignore[arg-type]


def test_population_prior_is_shrunk_and_leaves_the_user_out():
    alice = build_profile(
        [feedback_event(COMP, user_id="alice", kind="negative", at_s=float(i)) for i in range(20)],
        user_id="alice",
    )
    bob = build_profile([], user_id="bob")
    pop = build_population([alice, bob])
    fresh = prior(None, suggestion_type="compression", track_type="vocals")
    assert fresh.mean == pytest.approx(BASE_RATE) and fresh.alpha + fresh.beta == pytest.approx(
        PRIOR_STRENGTH
    )
    for_bob = prior(pop, suggestion_type="compression", track_type="vocals", exclude=bob)
    for_alice = prior(pop, suggestion_type="compression", track_type="vocals", exclude=alice)
    assert 0.4 < for_bob.mean < BASE_RATE  # alice's dislike moves bob's prior, but only a little
    assert for_alice.mean == pytest.approx(BASE_RATE)  # alice is not her own population
    post = effectiveness(alice, pop, suggestion_type="compression", track_type="vocals")
    assert post.mean < 0.2 and post.sd > 0.0


def test_modified_moves_default_parameters_toward_the_users_choice():
    events = [
        feedback_event(
            EQ,
            user_id="u",
            kind="modified",
            at_s=float(i),
            parameters_after={"freq_hz": 400.0, "gain_db": -6.0, "q": 1.4},
        )
        for i in range(3)
    ]
    profile = build_profile(events, user_id="u")
    adapted = dict(
        adapt_parameters(EQ.parameters, suggestion_type="eq_cut", track_type="vocals", profile=profile)
    )
    share = 1.0 - (1.0 - PARAMETER_LEARNING_RATE) ** 3
    assert adapted["gain_db"] == round(-3.0 + share * -3.0, 1)  # rounded as suggestions are shown
    assert adapted["freq_hz"] == round(300.0 * (400.0 / 300.0) ** share)  # log scale for Hz
    assert adapted["q"] == pytest.approx(1.4)
    assert -6.0 < adapted["gain_db"] < -3.0 and 300.0 < adapted["freq_hz"] < 400.0
    # another track type and another user are untouched
    other = adapt_parameters(EQ.parameters, suggestion_type="eq_cut", track_type="drums", profile=profile)
    assert dict(other) == EQ.parameters
    assert dict(
        adapt_parameters(EQ.parameters, suggestion_type="eq_cut", track_type="vocals", profile=None)
    ) == (EQ.parameters)


def test_implicit_ignored_after_n_actions_unless_acted_on():
    shown = [impression(s, user_id="u", action_count=10, now_s=5.0) for s in (EQ, COMP)]
    pending, ignored = expire_impressions(
        shown, action_count=13, acted_on=frozenset(), now_s=6.0, after_actions=4
    )
    assert pending == tuple(shown) and ignored == ()
    pending, ignored = expire_impressions(
        shown, action_count=14, acted_on=frozenset({"s-eq"}), now_s=7.0, after_actions=4
    )
    assert pending == ()
    assert [(e.suggestion_id, e.kind, e.implicit, e.at_s) for e in ignored] == [
        ("s-comp", FeedbackKind.IGNORED, True, 7.0)
    ]
    assert type(shown[0]).from_dict(json.loads(json.dumps(shown[0].to_dict()))) == shown[0]


def test_report_rates_trend_and_extremes():
    early = [feedback_event(EQ, user_id="u", kind="ignored", at_s=float(i)) for i in range(20)]
    late = [feedback_event(EQ, user_id="u", kind="applied", at_s=20.0 + i, rating=5) for i in range(15)]
    late += [feedback_event(COMP, user_id="u", kind="negative", at_s=40.0 + i, rating=1) for i in range(5)]
    report = learning_report(build_profile(early + late, user_id="u"))
    assert report.application_rate == pytest.approx(15 / 35, abs=1e-4)
    assert report.satisfaction == pytest.approx(15 / 25, abs=1e-4)  # 15 ratings of 5, 5 negatives rated 1
    assert report.trend == "improving" and report.trend_delta == pytest.approx(0.75)
    assert [e.suggestion_type for e in report.most_effective] == ["eq_cut"]
    assert [e.suggestion_type for e in report.least_effective] == ["compression"]
    json.dumps(report.to_dict(), allow_nan=False)


def test_an_empty_report_has_no_rates():
    report = learning_report(build_profile([], user_id="new"))
    assert (report.application_rate, report.satisfaction, report.trend) == (None, None, None)
    assert report.most_effective == report.least_effective == report.tips == ()


def test_tips_speak_about_this_users_habits():
    events = [feedback_event(COMP, user_id="u", kind="negative", at_s=float(i)) for i in range(8)]
    events += [
        feedback_event(EQ, user_id="u", kind="modified", at_s=10.0 + i, parameters_after={"gain_db": -6.0})
        for i in range(4)
    ]
    codes = {(t.code, t.suggestion_type) for t in personal_tips(build_profile(events, user_id="u"), limit=10)}
    assert ("held_back", "compression") in codes
    assert ("adapted_parameter", "eq_cut") in codes
    assert ("rate_more", None) in codes  # 12 events, no ratings
    assert personal_tips(build_profile(events[:2], user_id="u")) == ()


def test_export_import_round_trips_exactly():
    data = export_learning(random_events("alice", 80, seed=4), user_id="alice")
    text = json.dumps(data.to_dict(), allow_nan=False, sort_keys=True)
    again = import_learning(json.loads(text))
    assert again == data
    assert json.dumps(again.to_dict(), allow_nan=False, sort_keys=True) == text
    assert isinstance(again, LearningData)


@pytest.mark.parametrize(
    ("edit", "field_name"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(version=99), "version"),
        (lambda d: d["events"][3].update(rating=9), r"events\[3\]\.rating"),
        (lambda d: d["events"][5].pop("kind"), r"events\[5\]\.kind"),
        (lambda d: d["events"][1].update(user_id="mallory"), r"events\[1\]\.user_id"),
        (lambda d: d["profile"].update(events=1), "profile"),
        (lambda d: d.pop("profile"), "profile"),
    ],
)
def test_import_names_the_bad_field(edit, field_name: str):
    data = export_learning(random_events("alice", 10, seed=5), user_id="alice").to_dict()
    edit(data)
    with pytest.raises(InvalidParameter, match=field_name):
        import_learning(data)
