"""A muddy mix and the part that carries the mud: the low-mid cut goes where the low mids come from.

A stem's own spectrum cannot tell a +6 dB bell at 300 Hz from the part's natural body: on
sessions-dev a part's 250-400 Hz share spreads 1-24 dB across songs of the same type, more than a
bell moves it (docs/benchmarks.md, "Fourth pass"). The mix can: its tonal balance is judged against
the genre's target (core.suggestions.mastering.tonal_deviations), and when its low mids (250-500 Hz)
sit beyond the tolerance, the engineer's move is to find what fills them and cut there (Owsinski,
"The Mixing Engineer's Handbook", on mud: "the 200-500 Hz area, where most instruments overlap").

The carrier is the mid-range part with the most low-mid energy after its fader, holding at least
CARRIER_MIN_SHARE of the mix's low mids. The bass, kick, snare and drum stems are left out (their
low mids are their body, and the bass's band of ownership is next door, core.session.masking), and
so is the lead vocal: the accompaniment is carved to make room for the lead, unless the lead
itself holds LEAD_MIN_SHARE of the band. Then the low mids are the lead's own (a boxy vocal,
"Mixing Secrets", ch. 13: the 250-500 Hz "boxiness" of a close-miked voice) and no cut on the
accompaniment can clear them: the lead gets the cut, judged by that line. The cut sits at the
carrier's loudest 1/3 octave in the band: the mix's excess over half the tolerance (AIM_WITHIN: not
onto its edge), or deeper where that is needed to take the part under CARRIER_MIN_SHARE, within
CUT_DB (LEAD_CUT_DB on a lead). Verified in the session: resolved when the carrier no longer holds
CARRIER_MIN_SHARE of the low mids or the mix is back within the tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from core.bands import BAND_BY_NAME
from core.results import TrackAnalysis
from core.session.reference import carrier_of
from core.session.spec import TrackSpec
from core.suggestions.mastering import BandDeviation
from core.suggestions.model import BUS_TYPES, Suggestion, make_suggestion
from core.suggestions.track_context import peak_in
from core.suggestions.wording import type_noun

BAND = "low_mid"
#: Types whose low mids are their body, not a mix's mud; and the lead vocal, which the mix is built
#: around: the accompaniment is carved to make room for it, not the other way round.
EXEMPT_TYPES = frozenset({"bass", "kick", "snare", "drums", "vocals", *BUS_TYPES})
CARRIER_MIN_SHARE = 0.25
#: The lead types, and the share of the mix's low mids a lead must hold to be the carrier itself.
#: On sessions-dev a lead whose register reaches down holds 45-87 % of a clean mix's 250-500 Hz
#: (most leads hold under 10 %); a +6 dB bell there takes it to 76-96 %.
LEAD_TYPES = frozenset({"vocals"})
LEAD_MIN_SHARE = 0.75
#: An accompaniment part's cut: a +8 dB, Q 1 bell at 320 Hz on sessions-dev keys needs more than 6 dB
#: back (capped at -6 dB the cut brought the bell's band 0.62-0.75 of the way back; at -8 dB 0.68-1.0).
CUT_DB = (-2.0, -8.0)
#: The lead's own low mids are its body: a cut deeper than this thins the voice the mix is built on.
LEAD_CUT_DB = (-2.0, -6.0)
CUT_Q = 1.0
#: A Q 1 bell of g dB at the part's loudest third lowers its whole 250-500 Hz power by about
#: g / BELL_REACH (sessions-dev keys: -3.3 dB took the band down 2.8 dB, share 0.39 -> 0.25).
BELL_REACH = 1.25
RELEASE_MARGIN_DB = 0.5
#: The cut aims the mix's low mids at this fraction of the tolerance, not at its edge, where the next
#: take or fader move tips the mix back over (sessions-dev keys with a +6 dB bell at 269 Hz: a cut
#: sized to the edge, -3.4 dB, brought the bell's band 0.56 of the way back; sized to half the
#: tolerance, -5.0 dB, 0.82).
AIM_WITHIN = 0.5


def band_energy(
    stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], band: str = BAND
) -> dict[str, float]:
    """Each audible stem's power in ``band`` after its fader (linear), by track id."""
    out = {}
    for t in stems:
        a = analyses.get(t.track_id)
        if a is None or t.type in BUS_TYPES or not t.audible:
            continue
        db = next((b.energy_db for b in a.spectrum.bands if b.name == band), None)
        if db is not None:
            out[t.track_id] = float(10.0 ** ((db + t.volume_db) / 10.0))
    return out


def band_shares(
    stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], band: str = BAND
) -> dict[str, float]:
    """The share (0-1) of the stems' summed power in ``band`` that each audible stem holds."""
    energy = band_energy(stems, analyses, band)
    total = sum(energy.values())
    return {k: v / total for k, v in energy.items()} if total > 0 else {}


def carrier_share(
    stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], track_id: str, band: str = BAND
) -> float:
    """The share (0-1) of the stems' summed power in ``band`` (the low mids) that ``track_id`` holds."""
    return band_shares(stems, analyses, band).get(track_id, 0.0)


def band_carrier(
    stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], band: str, *, exempt: frozenset[str]
) -> tuple[str, str] | None:
    """The ``(track_id, type)`` of the audible part, outside ``exempt`` types, with the most energy in
    ``band`` after its fader (core.session.reference.carrier_of); None when none sounds there."""
    parts = {
        t.track_id: (t.type, analyses[t.track_id], t.volume_db)
        for t in stems
        if t.audible and t.track_id in analyses and t.type not in exempt
    }
    return carrier_of(band, parts)


#: A carrier's cut is an EQ move, not a fader move: on a part that holds most of its own power in
#: the band, the cut is kept shallow enough that the part's power falls by at most this much even
#: if the bell took the whole band down by its full depth (core.verify flags a loudness shift over
#: 6 dB; a synthetic pad with 85 % of its power in 250-500 Hz and a -8 dB cut there moved 6.4 dB).
LEVEL_DROP_MAX_DB = 4.0


def own_share(a: TrackAnalysis, band: str) -> float:
    """The share (0-1) of the part's own power in ``band``."""
    return next((b.share for b in a.spectrum.bands if b.name == band), 0.0)


def level_safe_cut(gain_db: float, share_own: float, shallowest_db: float) -> float:
    """``gain_db`` (negative), made shallower where needed so a part holding ``share_own`` of its
    power in the band loses at most LEVEL_DROP_MAX_DB of it; never shallower than ``shallowest_db``
    (the rule's mildest cut)."""
    kept = 10.0 ** (-LEVEL_DROP_MAX_DB / 10.0)
    if share_own <= 1.0 - kept:
        return gain_db
    floor_db = 10.0 * float(np.log10(1.0 - (1.0 - kept) / share_own))
    return min(max(gain_db, floor_db), shallowest_db)


def carrier_gain(wanted_db: float, limits: tuple[float, float], a: TrackAnalysis, band: str) -> float:
    """A carrier's cut depth: ``wanted_db`` within ``limits`` (mildest, deepest), then no deeper than
    level_safe_cut allows for a part holding its share of its own power in ``band``."""
    gain = float(np.clip(wanted_db, limits[1], limits[0]))
    return level_safe_cut(gain, own_share(a, band), limits[0])


def cut_to_release(share: float, m: float) -> float:
    """The bell gain (dB) that takes a part holding ``share`` of a one-octave band under ``m``, the
    line the cut is judged by: the band power must fall by
    10 log10(m (1 - s) / ((1 - m) s)); a Q 1 bell at the part's loudest third takes the whole band
    down by about 1/BELL_REACH of its gain, and RELEASE_MARGIN_DB keeps it clear of the line.
    A part holding the whole band (nothing else sounds there) keeps it whatever the cut: -inf, which
    the caller's limits (carrier_gain) turn into its deepest cut."""
    if share >= 1.0:
        return float("-inf")
    band_db = 10.0 * float(np.log10(m * (1.0 - share) / ((1.0 - m) * share)))
    return band_db * BELL_REACH - RELEASE_MARGIN_DB


def carrier_cut(
    track_id: str,
    track_type: str,
    band: str,
    freq_hz: float,
    gain_db: float,
    *,
    confidence: float,
    reason: str,
    evidence: Mapping[str, float | int | str | None],
) -> Suggestion:
    """A carrier's cut: a Q 1 bell of ``gain_db`` at ``freq_hz`` in ``band`` (priority 3)."""
    return make_suggestion(
        "eq_cut",
        track_id=track_id,
        track_type=track_type,
        band=band,
        parameters={"freq_hz": float(round(freq_hz)), "gain_db": round(gain_db, 1), "q": CUT_Q},
        priority=3,
        confidence=round(confidence, 3),
        reason=reason,
        evidence=evidence,
    )


def mud_cut(
    stems: Sequence[TrackSpec],
    analyses: Mapping[str, TrackAnalysis],
    tonal_balance: Sequence[BandDeviation],
    *,
    genre: str,
    tolerance_db: float,
) -> Suggestion | None:
    """The low-mid cut on the part that carries a muddy mix's low mids; None when the mix is not
    muddy against ``genre`` or no mid-range part carries enough of the band."""
    dev = next((d for d in tonal_balance if d.band == BAND), None)
    if dev is None or dev.deviation_db is None or dev.deviation_db <= tolerance_db:
        return None
    audible = [t for t in stems if t.audible and t.track_id in analyses]
    shares = band_shares(stems, analyses)
    leads = {t.track_id: shares.get(t.track_id, 0.0) for t in audible if t.type in LEAD_TYPES}
    lead = max(leads, key=lambda k: leads[k], default=None)
    if lead is not None and leads[lead] >= LEAD_MIN_SHARE:
        carrier_id, line = lead, LEAD_MIN_SHARE
        carrier_type = next(t.type for t in audible if t.track_id == lead)
    else:
        found = band_carrier(stems, analyses, BAND, exempt=EXEMPT_TYPES)
        if found is None:
            return None
        (carrier_id, carrier_type), line = found, CARRIER_MIN_SHARE
    share = shares.get(carrier_id, 0.0)
    if share < line:
        return None
    band = BAND_BY_NAME[BAND]
    freq, _ = peak_in(analyses[carrier_id], band.low_hz, band.high_hz)
    excess = dev.deviation_db - AIM_WITHIN * tolerance_db
    limits = LEAD_CUT_DB if line == LEAD_MIN_SHARE else CUT_DB
    gain = carrier_gain(min(-excess, cut_to_release(share, line)), limits, analyses[carrier_id], BAND)
    noun = type_noun(carrier_type)
    whose = (
        ": the low mids are the lead's own (boxy), and no cut elsewhere clears them"
        if line == LEAD_MIN_SHARE
        else ", where it is loudest in that band"
    )
    return carrier_cut(
        carrier_id,
        carrier_type,
        BAND,
        freq,
        gain,
        confidence=min(0.5 + share / 2.0, 0.9),
        reason=(
            f"The mix's low mids (250-500 Hz) sit {dev.deviation_db:+.1f} dB against the {genre} balance "
            f"(±{tolerance_db:g} dB): mud. The {noun} track carries {100 * share:.0f} % of them; cut it "
            f"{-gain:.1f} dB around {freq:g} Hz{whose}."
        ),
        evidence={
            "carrier_share": round(share, 4),
            "carrier_share_above": line,
            "mix_deviation_db": round(dev.deviation_db, 2),
            "mix_deviation_db_above": tolerance_db,
            "genre": genre,
        },
    )
