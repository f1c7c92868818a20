"""A crowded low end: an accompaniment part that carries much of the mix's bass band (60-250 Hz).

The bass band belongs to the bass and the kick (core.session.masking's bands of ownership): a keys,
pad, strings or guitar part with weight there blurs the low end and hides the bass line, and the
engineer's move is to thin that part's low end, not the bass's (Owsinski, "The Mixing Engineer's
Handbook", on making room for the bass; Senior, "Mixing Secrets", ch. 11, on clearing the low end
of everything that does not need to be there). A stem's own spectrum cannot tell a part boosted
into the band from a part whose left hand lives there, but its share of the session's band can.
On sessions-dev a clean accompaniment part holds at most 12 % of the mix's 60-250 Hz (keys 6.7-12.2 %,
pads and strings under 2 %); a +9 dB bell at 120 Hz takes the keys to 20-36 %. Time-based masking
(core.session.masking) names such a part only where the two are loud together often enough, and as
polish where their claims on the band look alike.

Offered only when the session has an audible bass: without one, a keys part's left hand may be the
session's only bass line. The lead, the drums and the owners themselves are never the carrier. The
cut sits at the part's loudest 1/3 octave in the band, deep enough to take it to half
CARRIER_MAX_SHARE (core.session.mud.cut_to_release), within CUT_DB (-3 to -8 dB) and no deeper
than core.session.mud.level_safe_cut allows. Verified in the session like the mud cut: resolved
when the part no longer holds CARRIER_MAX_SHARE of the band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.bands import BAND_BY_NAME
from core.filters import peak_response_db
from core.results import TrackAnalysis
from core.session.mud import (
    LEAD_TYPES,
    band_carrier,
    band_shares,
    carrier_cut,
    carrier_gain,
    cut_to_release,
)
from core.session.spec import TrackSpec
from core.suggestions.model import BUS_TYPES, Suggestion
from core.suggestions.track_context import peak_in, third_octaves
from core.suggestions.wording import type_noun

BAND = "bass"
#: The band's owners: never cut; the rule speaks only while a bass plays.
OWNER_TYPES = frozenset({"bass", "kick"})
#: Never the carrier: the owners, the drums (a snare's or a kit's body sits there) and the lead.
EXEMPT_TYPES = frozenset({*OWNER_TYPES, "snare", "drums", *LEAD_TYPES, *BUS_TYPES})
#: A sixth of the band: over the 12 % clean dev keys reach, under the 20 % a +9 dB bell gives them.
CARRIER_MAX_SHARE = 1.0 / 6.0
CUT_DB = (-3.0, -8.0)
#: The cut aims the part at this fraction of the line (about the 8 % a clean part holds), not just
#: under it, where a part that crossed it by a little would get a token cut.
AIM_WITHIN = 0.5


def _share_after_bell(share: float, a: TrackAnalysis, bell: Suggestion) -> float:
    """The part's share of the mix's bass band once ``bell`` (an eq_cut with freq_hz, gain_db, q) is
    applied to it: its 1/3 octaves in the band, each lowered by the bell's response there."""
    p = bell.parameters
    values = (p.get("freq_hz"), p.get("gain_db"), p.get("q"))
    if not all(isinstance(v, float | int) for v in values):
        return share
    freq, gain, q = (float(v) for v in values)  # type: ignore[arg-type]
    centres, power = third_octaves(a)
    band = BAND_BY_NAME[BAND]
    inside = (centres >= band.low_hz) & (centres < band.high_hz)
    before = float(power[inside].sum())
    if before <= 0.0:
        return share
    kept = float((power[inside] * 10.0 ** (peak_response_db(centres[inside], freq, gain, q) / 10.0)).sum())
    ratio = kept / before
    return share * ratio / (share * ratio + (1.0 - share))


def low_end_cut(
    stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis], *, after: Suggestion | None = None
) -> Suggestion | None:
    """The bass-band cut on an accompaniment part holding more than CARRIER_MAX_SHARE of the mix's
    60-250 Hz; None without an audible bass, or when no part holds that much.

    ``after``: a bell already advised on the carrier (the mud cut next door, whose skirt reaches
    down into the band). The part's share is judged as that bell leaves it: a second cut for what
    the first one already clears would be advice twice, and both together would take too much."""
    audible = [t for t in stems if t.audible and t.track_id in analyses]
    basses = [t for t in audible if t.type == "bass"]
    if not basses:
        return None  # without a bass line the part's low end may be the session's only one
    found = band_carrier(stems, analyses, BAND, exempt=EXEMPT_TYPES)
    if found is None:
        return None
    carrier_id, carrier_type = found
    shares = band_shares(stems, analyses, BAND)
    share = shares.get(carrier_id, 0.0)
    if share <= CARRIER_MAX_SHARE:
        return None
    if after is not None and after.target.track_id == carrier_id:
        left = _share_after_bell(share, analyses[carrier_id], after)
        if left <= CARRIER_MAX_SHARE:
            return None
    owner = max(basses, key=lambda t: shares.get(t.track_id, 0.0))
    band = BAND_BY_NAME[BAND]
    freq, _ = peak_in(analyses[carrier_id], band.low_hz, band.high_hz)
    gain = carrier_gain(
        cut_to_release(share, AIM_WITHIN * CARRIER_MAX_SHARE), CUT_DB, analyses[carrier_id], BAND
    )
    noun = type_noun(carrier_type)
    return carrier_cut(
        carrier_id,
        carrier_type,
        BAND,
        freq,
        gain,
        confidence=min(0.4 + share, 0.9),
        reason=(
            f"The {noun} track carries {100 * share:.0f} % of the mix's bass band (60-250 Hz), which "
            f"belongs to the bass and the kick: it blurs the low end and hides '{owner.track_id}'. "
            f"Cut it {-gain:.1f} dB around {freq:g} Hz, where it is loudest in that band."
        ),
        evidence={
            "carrier_share": round(share, 4),
            "carrier_share_above": round(CARRIER_MAX_SHARE, 4),
            "masked_track": owner.track_id,
        },
    )
