"""Words for messages: track-type names an engineer would say, with the right article."""

from __future__ import annotations

from core.bands import BAND_BY_NAME

#: How a message names a track of each type ("a vocal track", "the kick").
TYPE_NOUNS: dict[str, str] = {
    "vocals": "vocal",
    "backing_vocals": "backing vocal",
    "kick": "kick",
    "snare": "snare",
    "drums": "drum",
    "bass": "bass",
    "guitar": "guitar",
    "keys": "keys",
    "synth": "synth",
    "pad": "pad",
    "strings": "strings",
    "brass": "brass",
    "fx": "FX",
    "mix_bus": "mix bus",
    "master": "master",
    "other": "other",
}


def type_noun(track_type: str) -> str:
    """The type as an adjective before "track": "vocal", "backing vocal", "FX"."""
    return TYPE_NOUNS.get(track_type, track_type.replace("_", " "))


def a_track(track_type: str) -> str:
    """ "a kick track", "an FX track", "an other track"."""
    noun = type_noun(track_type)
    article = "an" if noun[:1].lower() in "aeio" or noun.startswith("FX") else "a"
    return f"{article} {noun} track"


#: How an engineer names each band of core.bands.BANDS.
BAND_WORDS: dict[str, str] = {
    "sub": "sub",
    "bass": "bass",
    "low_mid": "low mids",
    "mid": "mids",
    "upper_mid": "upper mids",
    "presence": "presence",
    "brilliance": "air",
}
#: How a message names a suggestion type ("a gain move", "an EQ cut").
MOVE_WORDS: dict[str, str] = {
    "eq_cut": "an EQ cut",
    "eq_boost": "an EQ boost",
    "de_ess": "a de-esser",
    "gain": "a fader or clip-gain move",
    "limiting": "a limiter",
    "saturation": "saturation",
}


def band_words(name: str) -> str:
    """ "the low mids (250-500 Hz)" for a band of core.bands."""
    band = BAND_BY_NAME.get(name)
    words = BAND_WORDS.get(name, name.replace("_", " "))
    if band is None:
        return f"the {words}"
    return f"the {words} ({_hz(band.low_hz)}-{_hz(band.high_hz)})"


#: Band words that are plural in an engineer's mouth ("the low mids are"); the rest are singular.
PLURAL_BANDS = frozenset({"low_mid", "mid", "upper_mid"})


def band_verb(name: str) -> str:
    """ "are" for "the low mids", "is" for "the bass", "the air"."""
    return "are" if name in PLURAL_BANDS else "is"


def _hz(value: float) -> str:
    return f"{value / 1000:g} kHz" if value >= 1000 else f"{value:g} Hz"


def bpm_words(bpm: float) -> str:
    """ "94 BPM", "115.9 BPM": a tempo to 0.1 BPM as an engineer reads it, a whole number without ".0"."""
    return f"{bpm:.1f}".removesuffix(".0") + " BPM"


def span_words(low_hz: float, high_hz: float) -> str:
    """ "60 Hz-2 kHz": a frequency region as a message names it."""
    return f"{_hz(low_hz)}-{_hz(high_hz)}"


#: What an engineer calls a mix whose contiguous region stands above (+1) or below (-1) the rest of
#: its bands, by where the rest lies ("above": the rest is higher in frequency, "below", "around").
TILT_WORDS: dict[tuple[int, str], str] = {
    (1, "above"): "a dark mix; the top end is what is missing",
    (-1, "below"): "a dark mix; the top end is what is missing",
    (-1, "above"): "a thin mix; the low end is what is missing",
    (1, "below"): "a bright, thin mix; the top end outweighs the body",
    (1, "around"): "the mix bulges there",
    (-1, "around"): "a scooped mix; that region is what is missing",
}
#: A second region read the same way (the low end up, then the top end down: one dark tilt).
TILT_AGAIN = "the other side of the same tilt"


def move_words(suggestion_type: str) -> str:
    return MOVE_WORDS.get(suggestion_type, "a " + suggestion_type.replace("_", " "))


def capitalised(text: str) -> str:
    """The first letter upper-cased, the rest untouched ("the low mids (250-500 Hz)" -> "The ...")."""
    return text[:1].upper() + text[1:]
