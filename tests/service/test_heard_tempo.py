"""The session tempo heard in the stems' sum, on in-memory ports with the real analysis.

Single drum stems read their own patterns (hats in eighths: 2T; a kick on 1 and 3: T/2); the
session job sums the audible stems and reads the beat there, caches that reading by content (the
stems' hashes and faders), and leaves a declared tempo alone.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import soundfile as sf

from service.ports import Ports
from tests.core.music import bass_on_beats, drum_stem
from tests.fakes import record_puts
from tests.service.test_references_style import analyse, owned

SR = 44_100
BPM = 96.0
SECONDS = 12.0


def wav(y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, y, SR, format="WAV", subtype="FLOAT")
    return buf.getvalue()


def stems(ports: Ports) -> list[dict[str, Any]]:
    audio = {
        "kick": drum_stem(BPM, "kick", seconds=SECONDS, sr=SR),
        "snare": drum_stem(BPM, "snare", seconds=SECONDS, sr=SR),
        "hats": drum_stem(BPM, "hat", seconds=SECONDS, sr=SR),
        "bass": bass_on_beats(BPM, seconds=SECONDS, sr=SR),
    }
    types = {"kick": "kick", "snare": "snare", "hats": "drums", "bass": "bass"}
    return [
        {"track_id": tid, "name": tid, "type": types[tid], "sha256": owned(ports, wav(y))}
        for tid, y in audio.items()
    ]


def test_the_session_reads_the_beat_of_the_sum_and_caches_it(ports: Ports) -> None:
    tracks = stems(ports)
    first = analyse(ports, "groove", {"tracks": tracks})
    assert first["bpm_source"] == "estimated"
    assert abs(first["bpm"] - BPM) <= 0.04 * BPM, first["bpm"]

    puts = record_puts(ports)
    again = analyse(ports, "groove", {"tracks": tracks})  # re-analysed unchanged: the sum is not heard again
    assert again["bpm"] == first["bpm"]
    assert puts == []

    # a fader move changes what is summed: heard again, same beat (two more entries: the tempo of the
    # sum and the advice vetted for the new mix, besides the measures of moves the new mix changed)
    moved = [{**t, "volume_db": -6.0} if t["track_id"] == "hats" else t for t in tracks]
    third = analyse(ports, "groove", {"tracks": moved})
    assert abs(third["bpm"] - BPM) <= 0.04 * BPM
    assert sorted(k.split(":")[0] for k, _ in puts if not k.startswith("moved:")) == ["mixtempo", "vetted"]


def test_a_declared_tempo_is_kept_and_nothing_is_summed(ports: Ports) -> None:
    puts = record_puts(ports)
    out = analyse(ports, "declared", {"bpm": 140.0, "tracks": stems(ports)})
    assert out["bpm"] == 140.0 and out["bpm_source"] == "declared"
    kinds = sorted(k.split(":")[0] for k, _ in puts if not k.startswith("moved:"))
    assert kinds == ["analysis"] * 4 + ["vetted"]  # four analyses, the vetted advice, no tempo of the sum
