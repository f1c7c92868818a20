"""core.session_summary: the session's median tempo counts only tempos heard in the audio."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import AnalysisParams, analyze
from core.session_summary import SessionTrack, summarize_session
from tests.core.music import drum_loop, noise, sine

SR = 22050
BPM = 120.0


def test_silent_and_unheard_tracks_do_not_vote_in_the_median_tempo() -> None:
    """Digital silence under a declared bpm read the bpm ("prior") and voted in the median: with
    two silent tracks and a pad, a session whose drums play at 96 summed to a median of 120."""
    hint = AnalysisParams(bpm_hint=BPM)
    drums, _ = drum_loop(96.0, pattern="rock", seconds=12.0, sr=SR)
    pad = sine(220.0, 12.0, sr=SR) + noise(12.0, sr=SR, seed=5, amp=0.01)
    silence = np.zeros(SR * 12, dtype=np.float32)
    audio = {"drums": drums, "pad": pad, "fx": silence, "fx2": silence}
    # The drums are analysed without the (wrong) hint, as a stem uploaded alone would be.
    analyses = {
        name: analyze((y[None, :], SR), name=name, params=AnalysisParams() if name == "drums" else hint)
        for name, y in audio.items()
    }
    assert analyses["fx"].rhythm.tempo_bpm is None
    assert (
        analyses["pad"].rhythm.tempo_bpm == pytest.approx(BPM)
        and analyses["pad"].rhythm.tempo_source == "prior"
    )
    tracks = [SessionTrack(name, name, "other", "0" * 64) for name in audio]
    summary = summarize_session(tracks, analyses, session_bpm=BPM)
    assert summary.median_tempo_bpm == pytest.approx(96.0, rel=0.02)
    assert {h.track_id: h.tempo_bpm for h in summary.tracks}["fx"] is None
