"""Plain-text reports for the command line (``python -m core``): one analysis, one comparison.

Formatting only: every number comes from the result dataclasses; nothing is measured here.
"""

from __future__ import annotations

from core.compare import Comparison, Difference
from core.results import TrackAnalysis

BAR_WIDTH = 24


def _num(value: float | None, fmt: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{unit}"


def _duration(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60.0)
    return f"{int(minutes)}:{sec:04.1f}"


def format_analysis(result: TrackAnalysis) -> str:
    """A readable summary: loudness, peaks, dynamics, stereo, tempo, key, band balance, quality."""
    a, ld, dy, st = result.audio, result.loudness, result.dynamics, result.stereo
    fmt = f"{a.format} {a.subtype}"
    lines = [
        f"{result.name}  ({a.sr / 1000:g} kHz, {a.channels} ch, {_duration(a.duration_s)}, {fmt})",
        f"  Loudness  {_num(ld.integrated_lufs, '.1f', ' LUFS')} integrated, "
        f"LRA {_num(ld.range_lu, '.1f', ' LU')}, "
        f"short-term max {_num(ld.short_term_max_lufs, '.1f', ' LUFS')}",
        f"  Peaks     true peak {_num(ld.true_peak_dbtp, '+.1f', ' dBTP')}, sample peak "
        f"{_num(ld.sample_peak_dbfs, '+.1f', ' dBFS')}, PLR {_num(ld.plr_db, '.1f', ' dB')}",
        f"  Dynamics  RMS {_num(dy.rms_dbfs, '.1f', ' dBFS')}, "
        f"crest {_num(dy.crest_factor_db, '.1f', ' dB')}, DR {_num(dy.dynamic_range_db, '.1f', ' dB')}, "
        f"noise floor {_num(dy.noise_floor_dbfs, '.1f', ' dBFS')}, silence {100 * dy.silence_ratio:.0f} %",
    ]
    if st is not None:
        lines.append(
            f"  Stereo    correlation {_num(st.correlation, '+.2f')}, width {_num(st.width, '.2f')}, "
            f"balance {_num(st.balance_db, '+.1f', ' dB')}, mono loss {_num(st.mono_loss_db, '.1f', ' dB')}"
        )
    r, t = result.rhythm, result.tonal
    lines.append(
        f"  Tempo     {_num(r.tempo_bpm, '.1f', ' bpm')} (confidence {r.tempo_confidence:.2f})   "
        f"Key {t.key or 'n/a'} (confidence {t.key_confidence:.2f})"
    )
    lines.append("  Bands     energy      share")
    for band in result.spectrum.bands:
        bar = "#" * round(band.share * BAR_WIDTH)
        lines.append(
            f"    {band.name:<11}{_num(band.energy_db, '6.1f', ' dB'):>10}  {100 * band.share:5.1f} %  {bar}"
        )
    q = result.quality
    lines.append(f"  Quality   {q.score}/100" + ("" if q.issues else ", no issues"))
    for issue in q.issues:
        lines.append(f"    [{issue.severity}] {issue.code}: {issue.message}")
        lines.append(f"        fix: {issue.fix}")
    return "\n".join(lines)


def _diff_line(d: Difference, fmt: str = "+.1f") -> str:
    return f"    {d.name:<18}{_num(d.a, '.1f'):>9}{_num(d.b, '.1f'):>9}{_num(d.diff, fmt):>9} {d.unit}"


def format_comparison(c: Comparison) -> str:
    """Differences b - a (a is the reference) and the similarity with its parts."""
    parts = ", ".join(f"{k} {_num(v, '.2f')}" for k, v in c.similarity_parts.items())
    lines = [
        f"A (reference): {c.a_name}",
        f"B:             {c.b_name}",
        f"  Similarity {c.similarity:.2f}  ({parts})",
        f"    {'measure':<18}{'A':>9}{'B':>9}{'B - A':>9}",
    ]
    lines += [_diff_line(d) for d in (*c.loudness, *c.dynamics, c.tempo)]
    lines.append(f"    {'key':<18}{c.a_key or 'n/a':>9}  {c.b_key or 'n/a'}")
    lines.append("  Bands (energy dB)")
    for b in c.bands:
        lines.append(
            f"    {b.name:<18}{_num(b.a_db, '.1f'):>9}{_num(b.b_db, '.1f'):>9}{_num(b.diff_db, '+.1f'):>9} dB"
        )
    return "\n".join(lines)
