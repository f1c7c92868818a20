"""Verification of advice: render it, re-measure, report before/after (see docs/suggestions.md)."""

from core.verify.in_session import StepContext, judge_in_session, session_measures, step, verify_in_session
from core.verify.measures import cited_measures
from core.verify.session import (
    SessionVerification,
    is_session_advice,
    moves_to_vet,
    session_moves_measures,
    verify_session_moves,
    vet_session,
)
from core.verify.side_effects import SIDE_EFFECT_LIMITS, SideEffect
from core.verify.verdict import (
    Verification,
    compare_analyses,
    not_renderable,
    verify_suggestion,
    vet_suggestions,
)

__all__ = [
    "SIDE_EFFECT_LIMITS",
    "SessionVerification",
    "SideEffect",
    "StepContext",
    "Verification",
    "cited_measures",
    "compare_analyses",
    "is_session_advice",
    "judge_in_session",
    "moves_to_vet",
    "not_renderable",
    "session_measures",
    "session_moves_measures",
    "step",
    "verify_in_session",
    "verify_session_moves",
    "verify_suggestion",
    "vet_session",
    "vet_suggestions",
]
