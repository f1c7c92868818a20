"""The rule tables: what each track type is, and the thresholds the rules fire at.

Sources (frequency ranges, filter corners, attack/release practice):
- B. Owsinski, "The Mixing Engineer's Handbook", 4th ed. (2017): instrument frequency ranges,
  high-pass corners, compressor attack/release and delay/reverb timing.
- M. Senior, "Mixing Secrets for the Small Studio" (2011): ch. 11 (high-pass every track below
  its useful range), ch. 9-10 (compression by crest factor and groove), ch. 12 (de-essing 4-10 kHz).
- ITU-R BS.1770-4 for loudness and true peak (see core.targets for the platform table).
Thresholds are house choices tuned on constructed sessions; each is named here so it can be changed
in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import quality_rules


@dataclass(frozen=True)
class TypeProfile:
    """What a track type is for the rules.

    high_pass_hz : below this the type has no useful content (rumble, spill).
    low_pass_hz : above this only hiss/spill (None: the type uses the whole top end).
    core_bands : bands where the type's body lives; a bump there is the instrument, not a problem.
    crest_max_db : crest factor (peak - RMS) above which the type wants compression.
    attack_ms, release_note, release_default_ms : compressor timing (release synced to tempo).
    sibilant : gets de-essing checks.  mono_low_end : low end should be mono.
    wants_presence : gets a presence-deficit (dullness) check.
    ambience : customary send effects ('reverb', 'delay').
    """

    high_pass_hz: float
    low_pass_hz: float | None
    core_bands: tuple[str, ...]
    crest_max_db: float
    attack_ms: float
    release_note: str
    release_default_ms: float
    sibilant: bool = False
    mono_low_end: bool = False
    wants_presence: bool = False
    wants_width: bool = False
    ambience: tuple[str, ...] = ()


TYPE_PROFILES: dict[str, TypeProfile] = {
    "vocals": TypeProfile(
        80,
        None,
        ("low_mid", "mid"),
        14,
        5,
        "1/8",
        120,
        sibilant=True,
        wants_presence=True,
        ambience=("reverb", "delay"),
    ),
    "backing_vocals": TypeProfile(
        120, None, ("mid",), 12, 5, "1/8", 120, sibilant=True, ambience=("reverb",)
    ),
    "kick": TypeProfile(30, None, ("sub", "bass"), 22, 20, "1/16", 80, mono_low_end=True),
    "snare": TypeProfile(80, None, ("bass", "low_mid", "mid"), 20, 10, "1/16", 80, ambience=("reverb",)),
    "drums": TypeProfile(35, None, ("sub", "bass", "low_mid", "mid"), 20, 10, "1/16", 80),
    "bass": TypeProfile(30, 8000, ("sub", "bass", "low_mid"), 14, 15, "1/8", 150, mono_low_end=True),
    "guitar": TypeProfile(80, None, ("low_mid", "mid"), 16, 10, "1/8", 150, ambience=("delay",)),
    "keys": TypeProfile(
        40, None, ("bass", "low_mid", "mid"), 18, 10, "1/8", 150, wants_width=True, ambience=("reverb",)
    ),
    "synth": TypeProfile(40, None, ("mid",), 16, 10, "1/8", 150, wants_width=True, ambience=("delay",)),
    "pad": TypeProfile(
        100, None, ("low_mid", "mid"), 14, 30, "1/4", 300, wants_width=True, ambience=("reverb",)
    ),
    "strings": TypeProfile(
        60, None, ("low_mid", "mid"), 18, 20, "1/4", 300, wants_width=True, ambience=("reverb",)
    ),
    "brass": TypeProfile(80, None, ("mid", "upper_mid"), 16, 10, "1/8", 150, ambience=("reverb",)),
    "fx": TypeProfile(60, None, (), 20, 10, "1/8", 150),
    "mix_bus": TypeProfile(20, None, ("sub", "bass", "low_mid", "mid"), 20, 30, "1/8", 200),
    "master": TypeProfile(20, None, ("sub", "bass", "low_mid", "mid"), 20, 30, "1/8", 200),
    "other": TypeProfile(30, None, ("bass", "low_mid", "mid"), 20, 10, "1/8", 150),
}


@dataclass(frozen=True)
class Thresholds:
    #: Power below the type's high-pass corner, relative to the track's total power, that is rumble.
    rumble_share_db: float = -25.0
    #: Above this share a steeper (24 dB/oct) filter is suggested.
    rumble_steep_db: float = -12.0
    #: Power above the type's low-pass corner, relative to the total, that is hiss/spill.
    hiss_share_db: float = -30.0
    #: Loudest 1/3 octave in 5-10 kHz minus the mean 1/3 octave in 1-3.15 kHz that is sibilance.
    sibilance_db: float = 0.0
    #: A 1/3 octave in 4.5-10.5 kHz this far above the mean of its two neighbours (dB) is a narrow
    #: resonance on a sibilant track: every "s" and "t" rings there. Measured on the dev sessions'
    #: clean lead stems: at most 3.6 dB; a +10 dB, Q 2 bell reads 4-7 dB at 1/3-octave resolution.
    resonance_db: float = 4.0
    #: ...counted only where that 1/3 octave is within this much of the track's loudest one.
    resonance_within_db: float = 40.0
    #: A band's per-octave level above both its neighbours by this much is a build-up.
    bump_db: float = 5.0
    #: ...and in the upper mids (2-4 kHz) of a tonal part (not a drum), this much: the ear is most
    #: sensitive there (ISO 226), so a smaller bump reads as harsh. Clean sessions-dev keys reach
    #: +1.0 dB (strings -5.8, pads -8.2, leads -3.4; a kick's click +2.0); a +8 dB bell at 3.2 kHz
    #: takes keys with content there to +3..+6 dB.
    harsh_bump_db: float = 3.5
    #: Presence (2-6 kHz) per-octave level below the mid band by this much is a dull vocal.
    dull_db: float = 15.0
    #: Stereo: correlation below this is a phase problem; width above this on a mono-low-end type.
    phase_correlation: float = 0.0
    low_end_width: float = 0.3
    #: A stereo track narrower than this reads as mono.
    mono_width: float = 0.05
    #: |DC offset| (fraction of full scale) worth removing (-46 dBFS).
    dc_offset: float = 0.005
    #: ...and from this (-26 dBFS) a defect to fix first (priority 2): it costs the track's
    #: headroom tenths of a dB and clicks at every edit. Below it, hygiene (priority 4): a
    #: 10 Hz high-pass when the track is next touched, ranked after what sounds wrong.
    dc_offset_urgent: float = 0.05
    #: Noise floor above this (dBFS) in a track with gaps wants a gate / noise reduction. A floor
    #: is one only as core.quality.judged_noise_floor reads it: deep under the RMS level, steady
    #: (decays passing through it are not noise, and a gate would only chop them) and noise-like
    #: (a tonal floor is the part's own soft notes): one definition for the gate and the quality rule.
    noise_floor_dbfs: float = -60.0
    gap_ratio: float = 0.05
    #: More clipped samples than this (core.dynamics counts runs at full scale) is clipping.
    clipped_samples: int = 0
    #: A stem's true peak above this (dBTP) without clipped samples: inter-sample overs when it is
    #: rendered to fixed point; a gain-down, not a declip (BS.1770-4 Annex 2 true-peak meter).
    stem_true_peak_dbtp: float = 0.0
    #: Leave this much true-peak headroom (dB) when turning a hot stem down.
    stem_headroom_db: float = 1.0
    #: A stem whose integrated loudness is below this (LUFS) is recorded or exported too low; the
    #: same threshold as the ``low_level`` quality rule (core.quality_rules).
    low_level_lufs: float = -35.0
    #: Clip gain for a low stem aims here: integrated loudness, and sample peaks no higher than
    #: the peak headroom (common gain-staging practice: peaks near -6 dBFS, Senior ch. 3).
    stem_working_lufs: float = -20.0
    stem_working_peak_dbfs: float = -6.0
    #: The noise floor's depth under the RMS level, cited in the gate's evidence: the quality rule's
    #: line (core.quality.judged_noise_floor applies it); otherwise the "floor" is the music.
    noise_floor_depth_db: float = quality_rules.NOISE_FLOOR_MIN_DEPTH_DB
    #: Bass with mid-band (500-2000 Hz) per-octave level this far below its bass band barely
    #: translates to small speakers: saturation.
    translation_db: float = 30.0
    #: A master/bus PLR below this is over-limited.
    min_plr_db: float = 7.0
    #: Mix-bus headroom for mastering: peaks above this get a gain-down.
    mix_bus_peak_dbfs: float = -3.0


THRESHOLDS = Thresholds()

#: A "drums" stem with less than this share of its power below 250 Hz is cymbals or percussion
#: (hats, shakers): its crest factor runs higher than a kit's, by CYMBALS_EXTRA_CREST_DB, before
#: it wants compression (a hi-hat's hits are all transient: 25-30 dB crest is its nature).
CYMBALS_LOW_SHARE = 0.05
CYMBALS_EXTRA_CREST_DB = 10.0

#: The largest move any suggestion may ask for, per (suggestion type, parameter): a measurement
#: asking for more is capped here and the reason says so (core.suggestions.model.make_suggestion).
#: EQ: broad boosts beyond +6 dB and cuts beyond -12 dB point at the source or the arrangement,
#: not at an EQ (Owsinski, EQ chapter: "cut narrow, boost wide", small boosts); gain: a clip-gain or
#: fader move beyond +12 dB means the file was exported at the wrong level (house choice).
PARAMETER_LIMITS: dict[tuple[str, str], tuple[float, float]] = {
    ("eq_boost", "gain_db"): (0.0, 6.0),
    ("eq_cut", "gain_db"): (-12.0, 0.0),
    ("de_ess", "gain_db"): (-12.0, 0.0),
    ("gain", "gain_db"): (-24.0, 12.0),
    ("limiting", "gain_db"): (0.0, 12.0),
    ("saturation", "drive_db"): (0.0, 12.0),
}

#: Over-compression: a stem whose loud spread (core.dynamics: P99 - P75 of its 50 ms levels near the
#: top) is under this many dB has had its rises flattened. Hits (kick, snare, drums) keep more of a
#: rise through a compressor's attack, so theirs is higher. Sustained types (pads, strings, synths,
#: FX), guitars (distortion flattens them by design) and buses are not judged: a held chord, a
#: distorted riff or a mastered bus is flat by nature. (A flat-enveloped lead or organ typed as
#: vocals or keys is flagged: the measure cannot tell it from a squashed part.) Measured on the
#: dev sessions' stems: clean melodic parts 2.3-7.6 dB, hits 2.7-15; after 10:1 compression from the
#: median level, melodic 0.4-1.6, hits 1.0-2.2.
SQUASHED_BELOW_DB: dict[str, float] = {
    "vocals": 1.8,
    "backing_vocals": 1.8,
    "bass": 1.8,
    "keys": 1.8,
    "brass": 1.8,
    "kick": 2.4,
    "snare": 2.4,
    "drums": 2.4,
}
#: Hits this uniform (loud spread under this, dB) with their transients intact (crest factor at
#: least the type's crest_max_db) are a programmed, fixed-velocity part (a sample-identical hi-hat
#: loop): nothing rises because every hit is the same, not because a compressor flattened them. Our
#: synthetic sessions' hat loops read 0.2 dB at a crest of 22-24 dB; the dev hits after 10:1
#: compression never under 0.8 dB (crest 11-22 dB).
UNIFORM_HITS_SPREAD_DB = 0.5
#: The drum types: hits, whose attack is their point.
HIT_TYPES = frozenset({"kick", "snare", "drums"})

#: Plugin-name keywords by category (case-insensitive substring match).
PLUGIN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "reverb": ("reverb", "verb", "valhalla", "room", "hall", "plate", "shimmer", "seventh heaven"),
    "delay": ("delay", "echo", "echoboy", "timeless", "h-delay", "tape"),
    "de_esser": ("de-ess", "deess", "de ess", "sibil"),
    "compressor": ("comp", "1176", "la-2a", "la2a", "cl 1b", "glue", "vca", "opto", "fet"),
    "limiter": ("limit", "maximizer", "l2", "pro-l", "ozone"),
    "eq": ("eq", "equal", "pro-q", "pultec"),
}


def has_plugin(inserts: tuple[str, ...], category: str) -> bool:
    """Whether any insert's name matches a keyword of ``category``."""
    words = PLUGIN_KEYWORDS[category]
    return any(w in name.lower() for name in inserts for w in words)


#: Severity: how far a cited measure is past its threshold, in steps of this size (the measure's
#: unit), so rules compare: severity = 1 at the threshold, +1 per step beyond it, capped at
#: MAX_SEVERITY. A step is roughly "clearly audible more" for each measure (house choices): 4 dB of
#: a spectral excess or a level error, 10 dB of a power share, 1.5 dB of true peak, 100 clipped
#: samples. Masking overlap takes a wide step (1.0, its whole scale): stems that share a band at
#: 0.6-0.8 overlap are the normal state of a full arrangement, not an error, so such a cut ranks
#: below a defect on a stem (a resonance, a level error) and the same moderate masking cuts do not
#: fill the top of every session's advice. A measure not listed here sets none.
SEVERITY_STEPS: dict[str, float] = {
    "share_below_db": 10.0,
    "share_above_db": 10.0,
    "excess_db": 4.0,
    "presence_deficit_db": 10.0,
    "sibilance_db": 4.0,
    "resonance_db": 1.0,
    "bass_over_mid_db": 10.0,
    "crest_factor_db": 6.0,
    "sounding_crest_db": 6.0,
    "loud_spread_db": 0.5,
    "crest_deficit_db": 3.0,
    "clipped_samples": 100.0,
    "true_peak_dbtp": 1.5,
    "integrated_lufs": 5.0,
    # from the removal line to the urgent one is one step: a 2.5 % offset is hygiene, not 3x a defect
    "dc_offset_abs": THRESHOLDS.dc_offset_urgent - THRESHOLDS.dc_offset,
    "noise_floor_dbfs": 10.0,
    "correlation": 0.3,
    "width": 0.3,
    "overlap": 1.0,
    "louder_fraction": 0.1,
    "level_error_db": 2.0,
    "lead_over_backing_db": 3.0,
    "deviation_db": 3.0,
    "mix_deviation_db": 6.0,
    "carrier_share": 0.5,
    "carrier_over_lead_db": 6.0,
    "plr_db": 2.0,
}
MAX_SEVERITY = 5.0
