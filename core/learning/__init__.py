"""Learning from feedback: events, the per-user profile fold, the population prior, reports."""

from core.learning.adapt import adapt_parameters
from core.learning.events import (
    MIX_TRACK_TYPE,
    FeedbackEvent,
    Impression,
    SuggestionLike,
    TargetLike,
    expire_impressions,
    feedback_event,
    impression,
    numeric_parameters,
)
from core.learning.limits import check_parameters, parameter_range
from core.learning.population import Beta, Population, build_population, effectiveness, prior
from core.learning.profile import KeyStats, LearningProfile, ParameterOffset, build_profile, fold_event
from core.learning.report import LearningReport, Tip, TypeEffect, learning_report, personal_tips
from core.learning.tables import FeedbackKind
from core.learning.transfer import LearningData, export_learning, import_learning

__all__ = [
    "MIX_TRACK_TYPE",
    "Beta",
    "FeedbackEvent",
    "FeedbackKind",
    "Impression",
    "KeyStats",
    "LearningData",
    "LearningProfile",
    "LearningReport",
    "ParameterOffset",
    "Population",
    "SuggestionLike",
    "TargetLike",
    "Tip",
    "TypeEffect",
    "adapt_parameters",
    "build_population",
    "build_profile",
    "check_parameters",
    "effectiveness",
    "expire_impressions",
    "export_learning",
    "feedback_event",
    "fold_event",
    "import_learning",
    "impression",
    "learning_report",
    "numeric_parameters",
    "parameter_range",
    "personal_tips",
    "prior",
]
