"""The one table of quality thresholds, with the source or rationale of every number.

``assess_quality`` (core/quality.py) reads nothing but this table: change a threshold here and the
docs (docs/analysis.md), the score and the tests follow. A rule compares one measured number with a
warning and a critical threshold; several rules may share a code (e.g. ``over_compression`` looks at
the PLR and at the crest factor), and the worst of them decides the issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.results import Severity

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class Rule:
    """``measure`` is a problem when it is beyond ``warning`` (strictly) in ``direction``.

    ``direction="above"`` means higher is worse (e.g. true peak); ``"below"`` means lower is worse.
    The span between ``warning`` and ``critical`` is the unit in which the score measures how far
    past its threshold a value is (see core/quality.py).
    """

    code: str
    measure: str
    unit: str
    direction: Direction
    warning: float
    critical: float
    source: str

    @property
    def span(self) -> float:
        return abs(self.critical - self.warning)

    def severity(self, value: float) -> Severity | None:
        if self._beyond(value, self.critical):
            return "critical"
        if self._beyond(value, self.warning):
            return "warning"
        return None

    def threshold(self, severity: Severity) -> float:
        return self.critical if severity == "critical" else self.warning

    def overshoot(self, value: float, severity: Severity) -> float:
        """How far past the crossed threshold ``value`` is, in spans, clamped to [0, 1]."""
        past = (
            value - self.threshold(severity)
            if self.direction == "above"
            else self.threshold(severity) - value
        )
        return min(max(past / self.span, 0.0), 1.0)

    def _beyond(self, value: float, limit: float) -> bool:
        return value > limit if self.direction == "above" else value < limit


# fmt: off
RULES: tuple[Rule, ...] = (
    Rule("clipping", "clipped_percent", "%", "above", 0.0, 0.01,
         "Any clipped sample is a defect in a master; above 1 in 10,000 samples (~4 per second at "
         "44.1 kHz) clipping is audible on most material (common mastering QC practice)."),
    Rule("true_peak_over", "true_peak_dbtp", "dBTP", "above", -1.0, 0.0,
         "EBU R128 and AES TD1004.1.15-10: maximum true peak -1 dBTP (BS.1770-4 Annex 2 true-peak "
         "meter); above 0 dBTP the D/A converter or a lossy encoder clips."),
    Rule("dc_offset", "dc_offset_abs", "FS", "above", 0.005, 0.02,
         "Asymmetric sources (kick drums, brass, some synth waveforms) average up to ~0.2-0.3 % of full "
         "scale over a stem, so a mean above 0.5 % (-46 dBFS) is an offset from the chain, not music; "
         "at 2 % (-34 dBFS) it costs headroom and clicks at edits (common mastering QC practice)."),
    Rule("hum", "hum_prominence_db", "dB", "above", 6.0, 20.0,
         "Narrow, stationary peaks at two or more harmonics of 50/60 Hz (IEC 60038 mains frequencies). "
         "The Welch average over the whole track has a spread well under 1 dB, so a 6 dB peak at two "
         "exact mains harmonics is no accident; at 20 dB it dominates quiet passages."),
    Rule("rumble", "rumble_db", "dB", "above", -15.0, -6.0,
         "Power below 30 Hz relative to the total: inaudible on most playback systems but it uses "
         "headroom; mastered music rarely puts more than 3 % (-15 dB) of its power there, and common "
         "practice high-passes at 20-30 Hz."),
    Rule("mud", "mud_excess_db", "dB", "above", 4.0, 8.0,
         "Level per octave of 250-500 Hz above the straight line (in dB over log frequency) through "
         "100-200 Hz and 1-2 kHz. Commercial mixes have a smooth long-term spectrum (Pestana et al., "
         "AES 135, 2013); a 4 dB bump is heard as boxiness/mud."),
    Rule("harshness", "harsh_excess_db", "dB", "above", 3.0, 8.0,
         "Level per octave of 2-5 kHz against 1-2 kHz. Mastered music falls about 1.5 dB per octave "
         "here (Pestana et al. 2013); a rise of 3 dB or more is where the ear is most sensitive "
         "(ISO 226 equal-loudness contours) and sounds harsh."),
    Rule("missing_air", "air_db", "dB", "below", -20.0, -35.0,
         "Level per octave of 8-16 kHz against 0.5-2 kHz. Typical masters sit 3-12 dB lower (Pestana "
         "et al. 2013); 20 dB lower sounds dull, 35 dB lower means the material was band-limited."),
    Rule("over_compression", "plr_db", "dB", "below", 8.0, 5.0,
         "Peak-to-loudness ratio (true peak - integrated loudness, EBU R128 s1 / AES TD1008). Below "
         "8 dB the transients are flattened by limiting (common mastering practice; streaming "
         "normalisation removes the loudness gain anyway)."),
    Rule("over_compression", "crest_factor_db", "dB", "below", 8.0, 5.0,
         "Sample peak to RMS over the whole track; used when the PLR is unavailable. Uncompressed "
         "mixes measure 12-20 dB, heavily limited masters 6-8 dB."),
    Rule("phase", "correlation", "", "below", 0.0, -0.5,
         "Inter-channel correlation (EBU Tech 3341-style correlation meter): below 0 the channels "
         "are more out of phase than in phase, and the mono sum cancels."),
    Rule("phase", "mono_loss_db", "dB", "above", 4.0, 6.0,
         "Level lost by summing to mono (core.stereo): uncorrelated channels lose 3.01 dB by power "
         "summation alone, so only more than that is cancellation; 6 dB is the loss of equal "
         "channels at correlation -0.5."),
    Rule("low_level", "integrated_lufs", "LUFS", "below", -35.0, -45.0,
         "EBU R128 targets -23 LUFS (broadcast), streaming -14 to -16 LUFS (AES TD1008); at "
         "-35 LUFS normalisation must add 20 dB of gain, raising noise with it."),
    Rule("low_level", "sample_peak_dbfs", "dBFS", "below", -20.0, -30.0,
         "Peaks 20 dB under full scale waste more than 3 bits of a 16-bit file (common practice: "
         "record and deliver with peaks between -12 and -1 dBFS)."),
    Rule("long_silence", "silence_ratio", "", "above", 0.25, 0.6,
         "Share of the track below the silence threshold: a quarter of a track silent is rarely "
         "intended (a gap, a failed export, a muted stem)."),
    Rule("long_silence", "longest_silence_s", "s", "above", 8.0, 30.0,
         "Longest continuous silent stretch; gaps over 8 s end playlists (streaming services treat "
         "them as the track's end)."),
    Rule("high_noise_floor", "noise_floor_dbfs", "dBFS", "above", -60.0, -45.0,
         "Level of the quietest passages: 16-bit dither sits near -96 dBFS and good analogue chains "
         "below -70 dBFS; above -60 dBFS hiss/hum is audible in fades and breaks (AES17 dynamic "
         "range reasoning)."),
)
# fmt: on

#: Score penalty per severity (points); a penalty grows to twice this as the value goes one span past.
SEVERITY_PENALTY: dict[Severity, float] = {"info": 0.0, "warning": 5.0, "critical": 15.0}

# --- measurement settings for the spectral rules ------------------------------------------------

#: Mains frequencies (IEC 60038) and the harmonics searched for hum.
MAINS_HZ: tuple[float, ...] = (50.0, 60.0)
HUM_HARMONICS = 8
#: A harmonic counts when its peak lies within this tolerance of k * mains (grids stay within +-0.2 Hz;
#: the rest covers the estimate's error with ~3 Hz bins).
HUM_TOLERANCE_HZ = 1.0
#: The local median is taken over +-HUM_NEIGHBOURHOOD_HZ, excluding +-HUM_EXCLUDE_HZ around the peak.
HUM_NEIGHBOURHOOD_HZ = 30.0
HUM_EXCLUDE_HZ = 6.0
HUM_MIN_HARMONICS = 2
#: A harmonic must also be loud enough to hear: at least -80 dBFS (AES17) in its peak. Quieter
#: "peaks" are quantisation distortion (a 16-bit sine's error is periodic and has harmonics of its
#: own near -100 dBFS), far below the ~-96 dBFS of 16-bit dither noise spread over the whole band.
HUM_MIN_LEVEL_DBFS = -80.0

#: Rumble: power in [RUMBLE_LOW_HZ, RUMBLE_HIGH_HZ) against power from RUMBLE_LOW_HZ up. The lower edge
#: keeps a DC offset (a separate code) out of the rumble band.
RUMBLE_LOW_HZ = 8.0
RUMBLE_HIGH_HZ = 30.0

#: (band, lower neighbour, upper neighbour) in Hz for the spectral-balance rules.
MUD_BAND_HZ = (250.0, 500.0)
MUD_NEIGHBOURS_HZ = ((100.0, 200.0), (1000.0, 2000.0))
HARSH_BAND_HZ = (2000.0, 5000.0)
HARSH_REFERENCE_HZ = (1000.0, 2000.0)
AIR_BAND_HZ = (8000.0, 16000.0)
AIR_REFERENCE_HZ = (500.0, 2000.0)
#: Below this Nyquist frequency missing_air is not judged (the format itself has no air band).
AIR_MIN_NYQUIST_HZ = 10_000.0

#: Broadband gate for mud, harshness, missing_air and over_compression: at least BROADBAND_MIN_OCTAVES
#: of the octave bands centred 63 Hz - 4 kHz within BROADBAND_WITHIN_DB of the loudest of them. A
#: sine, a bass stem or a vocal-only stem fails it and is not judged against a full-mix balance.
BROADBAND_OCTAVE_CENTRES_HZ: tuple[float, ...] = (63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
BROADBAND_MIN_OCTAVES = 6
BROADBAND_WITHIN_DB = 30.0

#: DC offset is judged on at least this much audio: over a shorter clip the mean is dominated by its
#: lowest partials (a 40 Hz tone at -6 dBFS averages up to 0.004 over 1 s), not by an offset.
DC_MIN_DURATION_S = 2.0
#: The silent share of a track is judged only when one silent stretch lasts at least this long:
#: the gaps between drum hits and sung phrases are shorter, and are the material, not a defect.
SILENCE_RATIO_MIN_GAP_S = 1.5

#: The noise floor (10th percentile of 50 ms window levels, core.dynamics) is judged only when it lies
#: at least this far below the RMS level: continuous music has no quiet passage to measure it in.
NOISE_FLOOR_MIN_DEPTH_DB = 20.0
#: ... and only when it is steady: at least this share of the windows at it lie in runs of 0.5 s or
#: more (core.dynamics noise_floor_steady); the decays of hits pass through that level in a window.
NOISE_FLOOR_MIN_STEADY = 0.5
#: ... and only when it sounds like noise: the analysis frames at the floor read a mean tonalness
#: (core.tonal.floor_tonalness, 0 noise - 1 chords) under this. Hiss between phrases reads 0.06, a
#: soft held note 1.0; on sessions-dev the floors of hats read 0.34-0.57 and of kicks about 0.5, of
#: keys, pads, strings and leads 0.79-1.0 (pop909_858's strings, 25 dB under their body: 1.0).
#: These lines are also the gate suggestion's (core.quality.judged_noise_floor applies them to both).
NOISE_FLOOR_MAX_TONALNESS = 0.7

#: A frame is silent below this level (AES17 dBFS, as core.dynamics.SILENCE_DBFS).
SILENCE_DBFS = -60.0

#: Level targets quoted in fixes: streaming (AES TD1008 / common -14 LUFS) and the -1 dBTP ceiling.
TARGET_LUFS = -14.0
CEILING_DBTP = -1.0
