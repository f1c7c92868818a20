"""Every number the learning model uses, in one place.

The model is a Beta-Bernoulli effectiveness estimate per (user, suggestion type, track type) with an
empirical-Bayes prior from the population (Gelman et al., *Bayesian Data Analysis*, 3rd ed., ch. 5:
hierarchical shrinkage). The weights below are engineering choices, documented here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class FeedbackKind(StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"
    MODIFIED = "modified"
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class Evidence:
    """Pseudo-observations one event adds to a Beta posterior."""

    success: float
    failure: float


#: What each kind of feedback says about a suggestion. "modified" is mostly a success (the user
#: wanted the move, not our numbers); an implicit "ignored" is weaker evidence than a "negative".
FEEDBACK_EVIDENCE: Mapping[FeedbackKind, Evidence] = {
    FeedbackKind.APPLIED: Evidence(1.0, 0.0),
    FeedbackKind.POSITIVE: Evidence(1.0, 0.0),
    FeedbackKind.MODIFIED: Evidence(0.75, 0.25),
    FeedbackKind.IGNORED: Evidence(0.0, 0.5),
    FeedbackKind.NEGATIVE: Evidence(0.0, 1.0),
}
#: Kinds that count as "acted on" for the application rate and the trend; the rest count against.
APPLIED_KINDS = frozenset({FeedbackKind.APPLIED, FeedbackKind.MODIFIED})
ACCEPTING_KINDS = frozenset({FeedbackKind.APPLIED, FeedbackKind.MODIFIED, FeedbackKind.POSITIVE})
#: A rating r in 1..5 adds ((r - 1) / 4, (5 - r) / 4) times this weight on top of its kind.
RATING_WEIGHT = 1.0
RATING_MIN, RATING_MAX = 1, 5

#: Before each new event on a (type, track type), that key's evidence is multiplied by this: the
#: posterior remembers about 1 / (1 - decay) = 20 events, so tastes can change and no type is
#: ever so certain that exploration could not bring it back.
EVIDENCE_DECAY = 0.95

#: Prior: Beta(K m, K (1 - m)) with m the population's shrunk mean and K this strength.
PRIOR_STRENGTH = 4.0
#: The population mean is shrunk toward the level above it (type, then BASE_RATE) as if this many
#: virtual users sat at that level, so one user's taste barely moves everybody else's prior.
POPULATION_SHRINK_USERS = 20.0
BASE_RATE = 0.5
ANY_TRACK = "*"

#: "modified": each such event moves the user's offset this fraction of the way to what they chose.
PARAMETER_LEARNING_RATE = 0.3
#: Parameters adapted multiplicatively (log offset); the rest additively (dB and other linear units).
LOG_SCALE_SUFFIXES: tuple[str, ...] = ("_hz", "_ms")
LOG_SCALE_NAMES = frozenset({"q", "ratio"})

#: Implicit feedback: shown and not acted on within this many DAW actions counts as "ignored".
IMPLICIT_IGNORE_AFTER_ACTIONS = 8

#: Report: trend compares the acceptance of the last TREND_WINDOW outcomes with the window before.
TREND_WINDOW = 20
TREND_MIN_DELTA = 0.1
REPORT_TOP_N = 3

#: Tips: a key needs this much evidence before we talk about it.
TIP_MIN_EVENTS = 5
HELD_BACK_BELOW = 0.3
FAVOURITE_ABOVE = 0.75
TIP_MIN_OFFSET_LINEAR = 1.0  # e.g. 1 dB
TIP_MIN_OFFSET_LOG = 0.15  # about 16 %
TIP_RATE_MORE_AFTER_EVENTS = 10

MAX_NAME_CHARS = 200
MAX_COMMENT_CHARS = 2000
