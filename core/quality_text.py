"""Quality control's words: for each issue code, what is wrong (with the measured numbers) and a
concrete fix, the way a mastering engineer would write it. core/quality.py judges; this module
words the issues it raises, from the same values (``Values``) and rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from core import quality_rules as qr
from core.quality_measures import Values
from core.quality_rules import Rule

Text = Callable[[Values, Rule], tuple[str, str]]


def _f(values: Values, key: str) -> float:
    value = values[key]
    return float(value) if isinstance(value, int | float) else math.nan


def _clipping(v: Values, rule: Rule) -> tuple[str, str]:
    channels = int(_f(v, "channels"))
    where = f" across its {channels} channels" if channels > 1 else ""
    return (
        f"{int(_f(v, 'clipped_samples'))} clipped samples{where} "
        f"({_f(v, 'clipped_percent'):.4f} % of the samples).",
        "Re-render from before the clip point with the master fader 3 dB lower, and replace hard "
        f"clipping with a true-peak limiter (ceiling {qr.CEILING_DBTP:.0f} dBTP, 4x oversampling).",
    )


def _true_peak(v: Values, rule: Rule) -> tuple[str, str]:
    tp = _f(v, "true_peak_dbtp")
    return (
        f"True peak {tp:+.2f} dBTP is above the {qr.CEILING_DBTP:.0f} dBTP ceiling (inter-sample overs).",
        f"Lower the limiter ceiling by {tp - qr.CEILING_DBTP:.1f} dB to {qr.CEILING_DBTP:.1f} dBTP with "
        "true-peak (oversampled) detection; lossy encoders need that headroom.",
    )


def _dc(v: Values, rule: Rule) -> tuple[str, str]:
    dc = _f(v, "dc_offset")
    return (
        f"DC offset {dc:+.4f} of full scale ({20 * math.log10(abs(dc)):.1f} dBFS).",
        "Remove the DC: high-pass at 10 Hz, 12 dB/oct (or a DC-offset filter) on the source track, "
        "and check the recording chain (interface, outboard) for the offset.",
    )


def _hum(v: Values, rule: Rule) -> tuple[str, str]:
    mains = _f(v, "mains_hz")
    return (
        f"{mains:.0f} Hz mains hum: narrow peaks at {v['hum_harmonics_hz']} Hz, up to "
        f"{_f(v, 'hum_prominence_db'):.1f} dB above the surrounding spectrum.",
        f"Notch {mains:.0f} Hz and its harmonics ({v['hum_harmonics_hz']} Hz) with narrow cuts "
        f"(Q about 30, -{min(_f(v, 'hum_prominence_db'), 30.0):.0f} dB) or a de-hum plug-in set to "
        f"{mains:.0f} Hz; at the source, fix the ground loop (balanced cables, one earth point).",
    )


def _rumble(v: Values, rule: Rule) -> tuple[str, str]:
    return (
        f"{100 * 10 ** (_f(v, 'rumble_db') / 10):.1f} % of the power ({_f(v, 'rumble_db'):.1f} dB) "
        f"is below {qr.RUMBLE_HIGH_HZ:.0f} Hz (subsonic rumble).",
        f"High-pass at {qr.RUMBLE_HIGH_HZ:.0f} Hz, 24 dB/oct, on the master (or on the tracks carrying "
        "it: mic stands, handling noise, sub-bass synths); keep kick and bass fundamentals above it.",
    )


def _mud(v: Values, rule: Rule) -> tuple[str, str]:
    x = _f(v, "mud_excess_db")
    return (
        f"250-500 Hz sits {x:.1f} dB above the line through its neighbour octaves (muddy, boxy).",
        f"Cut about {x:.0f} dB with a wide bell (Q about 1) around 350 Hz on the master, or better on the "
        "guitars, keys and pads that overlap there; high-pass non-bass tracks at 100-150 Hz.",
    )


def _harsh(v: Values, rule: Rule) -> tuple[str, str]:
    x = _f(v, "harsh_excess_db")
    return (
        f"2-5 kHz is {x:.1f} dB louder per octave than 1-2 kHz (harsh, fatiguing).",
        f"Cut about {x:.0f} dB with a bell (Q about 1.5) around 3 kHz, or use a dynamic EQ on 2-5 kHz "
        "(threshold so that it acts only on the loud notes); check vocals and distorted guitars first.",
    )


def _air(v: Values, rule: Rule) -> tuple[str, str]:
    x = _f(v, "air_db")
    return (
        f"8-16 kHz is {-x:.1f} dB below the 0.5-2 kHz level per octave (dull, no air).",
        "Add a high shelf of +3 to +6 dB at 10 kHz; if there is no content at all up there, the "
        "material was low-passed or lossy-encoded: re-export from a full-bandwidth source.",
    )


def _compression(v: Values, rule: Rule) -> tuple[str, str]:
    value = _f(v, rule.measure)
    return (
        f"Over-compressed: {rule.measure.replace('_db', '').replace('_', ' ')} {value:.1f} dB "
        f"(loudness range {_f(v, 'range_lu'):.1f} LU).",
        f"Back off the limiter and bus compression by about {max(rule.warning - value, 1.0):.0f} dB of "
        f"gain reduction so the PLR reaches {rule.warning:.0f} dB or more; streaming platforms normalise "
        f"to about {qr.TARGET_LUFS:.0f} LUFS, so the extra loudness is lost anyway.",
    )


def _phase(v: Values, rule: Rule) -> tuple[str, str]:
    return (
        f"Phase problem: correlation {_f(v, 'correlation'):+.2f}, {_f(v, 'mono_loss_db'):.1f} dB lost "
        "in mono.",
        "Check the polarity of one channel (invert it if the correlation is near -1), time-align "
        "stereo mic pairs, and narrow wideners or Haas delays until the correlation stays above 0 "
        "and the mono loss under 3 dB.",
    )


def _low_level(v: Values, rule: Rule) -> tuple[str, str]:
    lufs = v["integrated_lufs"]
    if lufs is None and v["sample_peak_dbfs"] is None:
        return "The track is silent.", "Check the export: the source, mutes and the render range."
    gain = (
        qr.TARGET_LUFS - float(lufs) if isinstance(lufs, float | int) else -(_f(v, "sample_peak_dbfs") + 1.0)
    )
    return (
        f"Low level: {_f(v, 'integrated_lufs'):.1f} LUFS integrated, "
        f"peaks {_f(v, 'sample_peak_dbfs'):.1f} dBFS.",
        f"Raise the gain by about {gain:.0f} dB (to {qr.TARGET_LUFS:.0f} LUFS for streaming) with a "
        f"true-peak limiter at {qr.CEILING_DBTP:.0f} dBTP; for a mix going to mastering, peaks "
        "around -6 dBFS are enough.",
    )


def _silence(v: Values, rule: Rule) -> tuple[str, str]:
    return (
        f"{100 * _f(v, 'silence_ratio'):.0f} % of the track is silent; the longest gap lasts "
        f"{_f(v, 'longest_silence_s'):.1f} s.",
        "Trim leading/trailing silence to under 0.5 s and check for muted regions or a failed "
        "render in the gaps.",
    )


def _noise(v: Values, rule: Rule) -> tuple[str, str]:
    floor = _f(v, "noise_floor_dbfs")
    return (
        f"Noise floor {floor:.1f} dBFS in the quiet passages.",
        f"Apply noise reduction (learn the profile in a gap), or a gate/downward expander with its "
        f"threshold near {floor + 6:.0f} dBFS; at the source, raise the recording level and lower "
        "preamp gain on unused channels.",
    )


#: The message and the fix of each code.
TEXT: dict[str, Text] = {
    "clipping": _clipping,
    "true_peak_over": _true_peak,
    "dc_offset": _dc,
    "hum": _hum,
    "rumble": _rumble,
    "mud": _mud,
    "harshness": _harsh,
    "missing_air": _air,
    "over_compression": _compression,
    "phase": _phase,
    "low_level": _low_level,
    "long_silence": _silence,
    "high_noise_floor": _noise,
}
