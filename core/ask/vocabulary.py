# ruff: noqa: E501  (the word tables are data: one row per line reads best)
"""The words Codette understands in a question, and what each problem means in measurements.

One table per concept: track-type synonyms, band words, effects, platforms, problems. Problem rows
say where a problem would show in the measurements (quality codes of core/quality_rules.py, bands of
core/bands.py, session issue codes of core/session/analyze.py) and which suggestion types fix it
(core/suggestions/model.py), so grounding reads the same vocabulary the analysis writes.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Phrases (lower case, matched on word boundaries) -> track type. Longer phrases are tried first.
TRACK_TYPE_WORDS: dict[str, str] = {
    "lead vocal": "vocals", "lead vocals": "vocals", "vocal": "vocals", "vocals": "vocals", "vox": "vocals",
    "voice": "vocals", "singer": "vocals", "singing": "vocals", "rap": "vocals", "dialogue": "vocals",
    "backing vocal": "backing_vocals", "backing vocals": "backing_vocals", "harmonies": "backing_vocals",
    "harmony": "backing_vocals", "bvs": "backing_vocals", "bgvs": "backing_vocals", "choir": "backing_vocals",
    "kick": "kick", "kick drum": "kick", "bass drum": "kick", "808 kick": "kick",
    "snare": "snare", "snare drum": "snare", "clap": "snare",
    "drums": "drums", "drum": "drums", "overheads": "drums", "overhead": "drums", "drum bus": "drums",
    "cymbals": "drums", "hi-hat": "drums", "hi-hats": "drums", "hats": "drums", "toms": "drums",
    "room mics": "drums",
    "bass": "bass", "bass guitar": "bass", "bassline": "bass", "808": "bass", "sub bass": "bass",
    "guitar": "guitar", "guitars": "guitar", "acoustic": "guitar", "electric guitar": "guitar",
    "piano": "keys", "keys": "keys", "keyboard": "keys", "organ": "keys", "rhodes": "keys",
    "synth": "synth", "synths": "synth", "lead synth": "synth", "supersaw": "synth", "arp": "synth",
    "pad": "pad", "pads": "pad",
    "strings": "strings", "violin": "strings", "violins": "strings", "cello": "strings", "orchestra": "strings",
    "brass": "brass", "horns": "brass", "horn": "brass", "trumpet": "brass", "sax": "brass",
    "saxophone": "brass", "trombone": "brass",
    "fx": "fx", "risers": "fx", "riser": "fx", "sound effects": "fx",
    "mix bus": "mix_bus", "master bus": "mix_bus", "2-bus": "mix_bus", "stereo bus": "mix_bus",
    "mix": "mix_bus", "mixdown": "mix_bus",
    "master": "master", "mastering": "master", "my master": "master",
}  # fmt: skip

#: Band words -> band names of core.bands (a phrase may name two bands).
BAND_WORDS: dict[str, tuple[str, ...]] = {
    "sub": ("sub",), "subs": ("sub",), "sub-bass": ("sub",), "low end": ("sub", "bass"),
    "lows": ("bass",), "bottom end": ("sub", "bass"), "bass frequencies": ("bass",),
    "low mids": ("low_mid",), "low-mids": ("low_mid",), "low mid": ("low_mid",), "low-mid": ("low_mid",),
    "lower mids": ("low_mid",), "mids": ("mid",), "midrange": ("mid",), "middle": ("mid",),
    "upper mids": ("upper_mid",), "upper-mids": ("upper_mid",), "high mids": ("upper_mid",),
    "high-mids": ("upper_mid",), "presence": ("presence",), "highs": ("brilliance",),
    "top end": ("brilliance",), "treble": ("brilliance",), "air": ("brilliance",),
    "brilliance": ("brilliance",), "high end": ("brilliance",),
}  # fmt: skip

#: Effect words -> effect keys; EFFECT_SUGGESTIONS maps a key to the suggestion types that carry it.
EFFECT_WORDS: dict[str, str] = {
    "eq": "eq", "equaliser": "eq", "equalizer": "eq", "equalise": "eq", "equalize": "eq", "eqing": "eq",
    "cut": "eq", "boost": "eq", "shelf": "eq",
    "high-pass": "high_pass", "high pass": "high_pass", "highpass": "high_pass", "low cut": "high_pass",
    "hpf": "high_pass", "low-pass": "low_pass", "low pass": "low_pass", "lowpass": "low_pass",
    "high cut": "low_pass", "compressor": "compression", "compression": "compression",
    "compress": "compression", "compressing": "compression", "glue": "compression",
    "limiter": "limiting", "limiting": "limiting", "limit": "limiting",
    "reverb": "reverb", "verb": "reverb", "plate": "reverb", "hall": "reverb",
    "delay": "delay", "echo": "delay", "slapback": "delay",
    "de-esser": "de_ess", "deesser": "de_ess", "de-ess": "de_ess", "de-essing": "de_ess",
    "saturation": "saturation", "saturate": "saturation", "distortion": "saturation", "tape": "saturation",
    "gate": "gate", "noise gate": "gate", "expander": "gate",
    "sidechain": "sidechain", "side-chain": "sidechain", "ducking": "sidechain",
    "pan": "panning", "panning": "panning", "widen": "width", "widener": "width", "stereo width": "width",
    "automation": "automation", "automate": "automation", "dither": "dither",
}  # fmt: skip
EFFECT_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "eq": ("eq_cut", "eq_boost", "high_pass", "low_pass"), "high_pass": ("high_pass",),
    "low_pass": ("low_pass",), "compression": ("compression",), "limiting": ("limiting",),
    "reverb": ("reverb",), "delay": ("delay",), "de_ess": ("de_ess",), "saturation": ("saturation",),
    "gate": ("cleanup",), "width": ("stereo_width",), "panning": ("stereo_width",),
}  # fmt: skip

#: Platform words -> keys of core.targets.PLATFORM_TARGETS (and knowledge-base platform keys).
PLATFORM_WORDS: dict[str, str] = {
    "spotify": "spotify", "apple music": "apple_music", "itunes": "apple_music", "apple": "apple_music",
    "youtube": "youtube", "broadcast": "ebu_r128", "ebu": "ebu_r128", "r128": "ebu_r128",
    "r 128": "ebu_r128", "tv": "atsc_a85", "television": "atsc_a85", "atsc": "atsc_a85", "a/85": "atsc_a85",
    "podcast": "apple_podcasts", "podcasts": "apple_podcasts", "netflix": "netflix",
    "streaming": "spotify",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """A problem a user may name, and where it shows in Codette's measurements."""

    key: str
    label: str
    words: tuple[str, ...]
    #: quality issue codes (core.quality_rules) on tracks that show it
    quality: tuple[str, ...] = ()
    #: bands whose masking conflicts show it
    masking_bands: tuple[str, ...] = ()
    #: session issue codes that show it; tonal_balance only in ``tonal_bands`` with ``tonal_sign``
    issues: tuple[str, ...] = ()
    tonal_bands: tuple[str, ...] = ()
    tonal_sign: int = 0
    #: suggestion types (and bands, None = any) that fix it
    fixes: tuple[str, ...] = ()
    fix_bands: tuple[str, ...] | None = None


PROBLEMS: tuple[Problem, ...] = (
    Problem("mud", "mud", ("muddy", "muddying", "mud", "murky", "cloudy", "muffled", "woolly", "wooly", "unclear"),
            quality=("mud",), masking_bands=("low_mid",), issues=("tonal_balance",), tonal_bands=("low_mid",),
            tonal_sign=1, fixes=("eq_cut", "high_pass"), fix_bands=("sub", "bass", "low_mid")),
    Problem("boxy", "boxiness", ("boxy", "cardboard", "boxiness", "papery"), quality=("mud",),
            masking_bands=("low_mid", "mid"), fixes=("eq_cut",), fix_bands=("low_mid", "mid")),
    Problem("boom", "too much low end", ("boomy", "boom", "too much bass", "woofy", "bass heavy", "bass-heavy",
            "too much low end", "overpowering bass"), masking_bands=("sub", "bass"), issues=("tonal_balance",),
            tonal_bands=("sub", "bass"), tonal_sign=1, fixes=("eq_cut", "high_pass", "stereo_width"),
            fix_bands=("sub", "bass")),
    Problem("harsh", "harshness", ("harsh", "harshness", "piercing", "shrill", "fatiguing", "brittle", "painful",
            "ear-piercing", "fizzy", "fizz", "too bright", "shouty", "abrasive"), quality=("harshness",),
            masking_bands=("upper_mid", "presence"), issues=("tonal_balance",),
            tonal_bands=("upper_mid", "presence"), tonal_sign=1, fixes=("eq_cut", "de_ess", "low_pass"),
            fix_bands=("upper_mid", "presence", "brilliance")),
    Problem("sibilance", "sibilance", ("sibilant", "sibilance", "esses", "ess", "s sounds", "spitty", "lisp"),
            fixes=("de_ess",)),
    Problem("dull", "dullness", ("dull", "dark", "no air", "lacks air", "missing air", "lack of air", "no sparkle",
            "not bright", "lifeless top"), quality=("missing_air",), issues=("tonal_balance",),
            tonal_bands=("presence", "brilliance"), tonal_sign=-1, fixes=("eq_boost",),
            fix_bands=("upper_mid", "presence", "brilliance")),
    Problem("thin", "thinness", ("thin", "no body", "lacks body", "weak low end", "no low end", "no bottom",
            "small sounding", "tinny", "disappears on"), issues=("tonal_balance",), tonal_bands=("bass", "low_mid"),
            tonal_sign=-1, fixes=("eq_boost", "saturation"), fix_bands=None),
    Problem("masking", "masking", ("masking", "masked", "buried", "can't hear", "cannot hear", "cant hear",
            "clash", "clashing", "fighting", "compete", "competing", "crowding", "crowd", "lost in the mix", "drowned", "drowning",
            "sit in the mix", "stand out", "cut through"), masking_bands=("sub", "bass", "low_mid", "mid",
            "upper_mid", "presence", "brilliance"), issues=("level_balance", "masking"),
            fixes=("eq_cut", "gain")),
    Problem("clipping", "clipping", ("clipping", "clips", "clipped", "distorted", "distortion", "crackle",
            "crackling", "overs", "distorting"), quality=("clipping", "true_peak_over"),
            fixes=("cleanup", "gain", "limiting")),
    Problem("phase", "phase problems", ("phase", "out of phase", "phasey", "phasing", "cancels", "cancel",
            "cancellation", "hollow", "mono compatible", "mono compatibility", "disappears in mono"),
            quality=("phase",), fixes=("phase_fix", "stereo_width")),
    Problem("noise", "noise", ("noise", "noisy", "hiss", "hissing", "hum", "humming", "buzz", "buzzing"),
            quality=("high_noise_floor", "hum"), fixes=("cleanup", "low_pass")),
    Problem("over_compression", "over-compression", ("squashed", "over-compressed", "overcompressed", "crushed",
            "no dynamics", "lifeless", "flat dynamics", "pumping", "over-limited"),
            quality=("over_compression",), fixes=("gain",)),
    Problem("low_level", "low level", ("too quiet", "not loud enough", "quiet", "low level", "too soft"), quality=("low_level",), issues=("loudness_estimate", "level_balance"),
            fixes=("gain", "limiting")),
    Problem("too_loud", "too much level", ("too loud", "too hot", "louder than"),
            quality=("true_peak_over", "over_compression"), issues=("loudness_estimate", "level_balance"),
            fixes=("gain", "limiting")),
    Problem("rumble", "rumble", ("rumble", "rumbling", "subsonic", "handling noise", "plosive", "plosives",
            "pops"), quality=("rumble",), masking_bands=(), fixes=("high_pass",)),
    Problem("nasal", "nasal honk", ("nasal", "honky", "honk", "telephone"), masking_bands=("mid",),
            fixes=("eq_cut",), fix_bands=("mid",)),
    Problem("ring", "ringing", ("ring", "ringing", "resonance", "resonant", "whistle"), fixes=("eq_cut",)),
    Problem("weak_attack", "weak attack", ("not punchy", "no punch", "lacks punch", "punchy", "punch",
            "weak attack", "soft attack"), fixes=("compression",)),
    Problem("dry", "dryness", ("dry", "no space", "no depth", "disconnected", "no ambience"),
            fixes=("reverb", "delay")),
    Problem("stereo_imbalance", "stereo imbalance", ("leans left", "leans right", "leans to the left", "leans to the right", "leans", "lopsided", "one side",
            "off centre", "off center", "unbalanced stereo"), issues=("stereo_balance", "low_end_off_centre"),
            fixes=("stereo_width",)),
)  # fmt: skip
PROBLEM_BY_KEY: dict[str, Problem] = {p.key: p for p in PROBLEMS}

#: Intent cues: (intent, regular expression) tried in order; the first match wins.
INTENT_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "explain",
        r"^(what('s| is| are| does)\b(?!.*\b(wrong|settings?|should|best|good|target)\b)|"
        r"explain|define|meaning of|what do you mean|difference between)",
    ),
    (
        "compare",
        r"\b(loud enough|target|targets|compared? (to|with)|against|reference|standard|spec|"
        r"how loud should|right level for|ready for|meet|meets|versus|vs\.?)\b",
    ),
    (
        "diagnose",
        r"^(why|what'?s wrong|whats wrong|is (my|the|there)|are (my|the|there)|does (my|the)|"
        r"do (my|the|i have)|something'?s off|it sounds|my .* sounds?)\b|\bwhy\b|\bproblem\b|"
        r"\bsounds? (bad|wrong|off|weird|strange|awful|terrible)\b",
    ),
    (
        "how_to",
        r"\b(how (do|can|should|to|much|many|loud|long|fast)|what settings?|which settings?|"
        r"what (ratio|attack|release|frequency|eq|q|decay)|where should|best way|tips?|"
        r"should i|settings? for|start(ing)? point)\b",
    ),
)
