"""The real FFT of the analysis path: scipy's pocketfft, loaded without importing scipy.fft.

``import scipy.fft`` costs 0.2-0.6 s per process on this machine (scipy's array-API layer runs
``from numpy import *``, which imports every numpy submodule, numpy.f2py and numpy.testing among
them): more than all the FFTs of a 3-minute file. The transform itself is pocketfft's compiled
module inside scipy, which loads in under a millisecond on its own; numpy.fft is the same algorithm
without the batching over rows, about 5x slower on the STFT's frames. So the compiled module is
loaded from scipy's installation directly and registered under its own name (a later
``import scipy.fft`` reuses it); when it is not where this expects (another scipy layout),
``scipy.fft.rfft`` is used instead.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

#: Where scipy keeps pocketfft's compiled module (scipy 1.4 to at least 1.17).
_MODULE = "scipy.fft._pocketfft.pypocketfft"


def _load_pocketfft() -> ModuleType | None:
    loaded = sys.modules.get(_MODULE)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("scipy")  # locates the package without running it
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "fft" / "_pocketfft"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"pypocketfft{suffix}"
        if path.is_file():
            loader = importlib.machinery.ExtensionFileLoader(_MODULE, str(path))
            module_spec = importlib.util.spec_from_file_location(_MODULE, path, loader=loader)
            if module_spec is None:
                return None
            module = importlib.util.module_from_spec(module_spec)
            loader.exec_module(module)
            sys.modules[_MODULE] = module
            return module
    return None


def _pick_rfft() -> Callable[[np.ndarray, int], np.ndarray]:
    try:
        pocketfft: Any = _load_pocketfft()
    except ImportError:
        pocketfft = None
    if pocketfft is not None and hasattr(pocketfft, "r2c"):

        def direct(x: np.ndarray, axis: int) -> np.ndarray:
            result: np.ndarray = pocketfft.r2c(x, (axis,), True, 0, None, 1)
            return result

        return direct
    import scipy.fft

    def fallback(x: np.ndarray, axis: int) -> np.ndarray:
        result: np.ndarray = scipy.fft.rfft(x, axis=axis)
        return result

    return fallback


_RFFT = _pick_rfft()


def rfft(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, axis=axis)``: float32 in, complex64 out; float64 in, complex128 out."""
    return _RFFT(np.asarray(x), axis)
