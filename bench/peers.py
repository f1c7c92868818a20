"""The peers Codette's engine is measured against, as functions and as command-line processes.

``python -m bench.peers librosa FILE`` runs the librosa-only pipeline the way a command-line user
would; ``python -m bench.peers floor FILE`` only reads the file and computes one 2048/512 STFT and
the RMS, in blocks, with scipy.fft: no analysis can be faster than that.
"""

from __future__ import annotations

import sys

import numpy as np

BANDS_HZ = ((20, 60), (60, 250), (250, 500), (500, 2000), (2000, 4000), (4000, 6000), (6000, 20000))


def librosa_pipeline(path: str) -> dict[str, object]:
    """load, beat_track, onset_detect, chroma_stft, stft band energies, rms, spectral_centroid."""
    import librosa

    y, sr = librosa.load(path)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr)
    onsets = librosa.onset.onset_detect(y=y, sr=sr)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    spec = np.abs(librosa.stft(y)) ** 2
    freqs = librosa.fft_frequencies(sr=sr)
    bands = [float(spec[(freqs >= lo) & (freqs < hi)].sum()) for lo, hi in BANDS_HZ]
    rms = librosa.feature.rms(y=y)
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
    return {
        "tempo": float(np.atleast_1d(tempo)[0]),
        "beats": len(beats),
        "onsets": len(onsets),
        "chroma": chroma.mean(axis=1).tolist(),
        "bands": bands,
        "rms": float(rms.mean()),
        "centroid": float(centroid.mean()),
    }


def essentia_extractor(path: str) -> dict[str, object]:
    import essentia.standard as es

    features, _ = es.MusicExtractor(lowlevelStats=["mean"], rhythmStats=["mean"], tonalStats=["mean"])(path)
    return {"loudness": features["lowlevel.loudness_ebu128.integrated"], "bpm": features["rhythm.bpm"]}


def floor(path: str) -> dict[str, object]:
    """Read in blocks, downmix, one Hann 2048/512 STFT with scipy.fft, and the RMS."""
    import scipy.fft
    import soundfile as sf

    n_fft, hop = 2048, 512
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    carry = np.zeros(0, np.float32)
    total = 0.0
    count = 0
    power = 0.0
    for block in sf.blocks(path, blocksize=1 << 17, dtype="float32", always_2d=True):
        total += float(np.square(block, dtype=np.float64).sum())
        count += block.size
        x = np.concatenate([carry, block.mean(axis=1)])
        n = 0 if len(x) < n_fft else 1 + (len(x) - n_fft) // hop
        frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop][:n]
        spec = scipy.fft.rfft(frames * window, axis=1)
        power += float((np.abs(spec) ** 2).sum())
        carry = x[n * hop :]
    return {"rms": (total / max(count, 1)) ** 0.5, "power": power}


PEERS = {"librosa": librosa_pipeline, "essentia": essentia_extractor, "floor": floor}

if __name__ == "__main__":
    name, path = sys.argv[1], sys.argv[2]
    print(PEERS[name](path))
