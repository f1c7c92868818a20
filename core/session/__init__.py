"""The session step: cross-track analysis of a DAW session (see docs/suggestions.md)."""

from core.session.analyze import MixIssue, SessionAnalysis, TrackSuggestions, analyze_session
from core.session.arrangement import ArrangementResult, ArrangementSection, detect_arrangement
from core.session.balance import BalanceResult, measure_balance
from core.session.genre import GenreResult, detect_genre
from core.session.masking import MaskingConflict, MaskingResult, detect_masking
from core.session.mixdown import MixEstimate, estimate_mix, stem_grid
from core.session.spec import SessionSpec, TrackSpec
from core.session.style_profile import StyleProfile, learn_style_profile
from core.session.workflow import WorkflowResult, analyze_workflow

__all__ = [
    "ArrangementResult",
    "ArrangementSection",
    "BalanceResult",
    "GenreResult",
    "MaskingConflict",
    "MaskingResult",
    "MixEstimate",
    "MixIssue",
    "SessionAnalysis",
    "SessionSpec",
    "StyleProfile",
    "TrackSpec",
    "TrackSuggestions",
    "WorkflowResult",
    "analyze_session",
    "analyze_workflow",
    "detect_arrangement",
    "detect_genre",
    "detect_masking",
    "estimate_mix",
    "learn_style_profile",
    "measure_balance",
    "stem_grid",
]
