"""A crowded presence band: an accompaniment part that carries the mix's 2-4 kHz over the lead.

The upper mids (2-4 kHz) are where the ear is most sensitive (ISO 226 equal-loudness contours) and
where a lead's consonants and bite live; the engineer's habit is to keep the accompaniment out of
the lead's way there (Owsinski, "The Mixing Engineer's Handbook", on vocal presence at 2-5 kHz;
Senior, "Mixing Secrets", ch. 12-13, on carving for the lead). A keys, pad, strings or guitar part
that carries more of the mix's upper mids than every other stem together, the lead included,
crowds the lead and reads as harsh: a stem's own spectrum cannot tell that from its natural timbre
(docs/benchmarks.md, "Fourth pass"), but its share of the session's band can. On sessions-dev a
clean accompaniment part holds at most 42 % of the mix's 2-4 kHz (keys; strings 26 %, pads 7 %);
a +6 dB bell at 2.5-4 kHz takes keys with content there to 60-73 %.

Offered only when the session has an audible lead (the rule makes room for it); drums, the bass
and the lead itself are never the carrier (the snare's crack and the lead's presence are what the
band is for). The cut sits at the centre of the part's bump in 2-4 kHz (bump_in), deep enough to
take it well under CARRIER_MAX_SHARE (to AIM_SHARE: core.session.mud.cut_to_release) and to close
half its lead over the lead there, within CUT_DB (-3 to -8 dB). Verified in the session like the
mud cut: resolved when the part no longer holds CARRIER_MAX_SHARE of the band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from core.bands import BAND_BY_NAME
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
from core.suggestions.spectral import band_excess_db, bump_threshold_db, leveling_cut_db
from core.suggestions.track_context import bump_in
from core.suggestions.wording import type_noun

BAND = "upper_mid"
#: Never the carrier: the drums' attack and the lead's presence are what the band is for, and the
#: bass has nothing there to cut.
EXEMPT_TYPES = frozenset({"kick", "snare", "drums", "bass", *LEAD_TYPES, *BUS_TYPES})
CARRIER_MAX_SHARE = 0.5
#: The share the cut aims the part at: about the most a clean accompaniment part holds (42 %), not
#: the line itself, as the mud and low-end cuts aim within their lines. Sized onto the line, keys with
#: a +6 dB bell at 2.6 kHz (pop909_391) got -4.4 dB and the bell's band came 0.51 of the way back;
#: aimed at 40 %, -6.4 dB and 0.73.
AIM_SHARE = 0.4
CUT_DB = (-3.0, -8.0)
#: How far the carrier sits over the lead in the band is evidence (and what ranks the cut: severity
#: step core.suggestions.rules.SEVERITY_STEPS); a lead with nothing there reads as this much.
OVER_LEAD_CAP_DB = 24.0


def _over_words(db: float) -> str:
    if db >= OVER_LEAD_CAP_DB:
        return "far over"
    return f"{db:.0f} dB over" if db >= 0.5 else "level with"


def presence_cut(stems: Sequence[TrackSpec], analyses: Mapping[str, TrackAnalysis]) -> Suggestion | None:
    """The upper-mid cut on an accompaniment part that carries half the mix's 2-4 kHz or more;
    None without an audible lead, or when no part carries that much."""
    audible = [t for t in stems if t.audible and t.track_id in analyses]
    leads = [t for t in audible if t.type in LEAD_TYPES]
    if not leads:
        return None
    found = band_carrier(stems, analyses, BAND, exempt=EXEMPT_TYPES)
    if found is None:
        return None
    carrier_id, carrier_type = found
    shares = band_shares(stems, analyses, BAND)
    share = shares.get(carrier_id, 0.0)
    if share < CARRIER_MAX_SHARE:
        return None
    band = BAND_BY_NAME[BAND]
    freq = bump_in(analyses[carrier_id], band.low_hz, band.high_hz)
    lead = max(leads, key=lambda t: shares.get(t.track_id, 0.0))
    over_lead = OVER_LEAD_CAP_DB
    if shares.get(lead.track_id, 0.0) > 0:
        ratio = share / shares[lead.track_id]
        over_lead = min(10.0 * float(np.log10(ratio)), OVER_LEAD_CAP_DB)
    # deep enough to take the part well under the line (to AIM_SHARE), to close half its lead over
    # the lead there, and to level the band with its neighbours where it stands out in the part's
    # own spectrum
    depth = [cut_to_release(share, AIM_SHARE), -over_lead / 2.0]
    excess = band_excess_db(analyses[carrier_id], BAND)
    if excess is not None and excess >= bump_threshold_db(BAND, carrier_type):
        depth.append(leveling_cut_db(excess))
    gain = carrier_gain(min(depth), CUT_DB, analyses[carrier_id], BAND)
    noun = type_noun(carrier_type)
    return carrier_cut(
        carrier_id,
        carrier_type,
        BAND,
        freq,
        gain,
        confidence=min(0.4 + share / 2.0, 0.9),
        reason=(
            f"The {noun} track carries {100 * share:.0f} % of the mix's upper mids (2-4 kHz), more than "
            f"every other track together, and sits {_over_words(over_lead)} '{lead.track_id}' there: "
            f"where the ear is most sensitive and the lead's presence lives, it crowds the lead and "
            f"sounds harsh. Cut it {-gain:.1f} dB around {freq:g} Hz, where it stands out most in that band."
        ),
        evidence={
            "carrier_share": round(share, 4),
            "carrier_share_above": CARRIER_MAX_SHARE,
            "carrier_over_lead_db": round(over_lead, 2),
            "carrier_over_lead_db_above": 0.0,
            "masked_track": lead.track_id,
        },
    )
