"""LightGBM internals, kept in this one module: the single-row fast path of its C API.

The only code that touches ``lightgbm.basic._LIB`` (a private handle): a LightGBM upgrade that
changes it breaks here and nowhere else, and ``tests/test_fraud.py`` holds this path equal to
``Booster.predict`` to the last bit.
"""

from __future__ import annotations

import ctypes
import threading
import weakref

import lightgbm as lgb
import numpy as np

# Private names: the C library handle and its error check (LightGBM exports neither).
from lightgbm.basic import _LIB, _safe_call  # type: ignore[attr-defined]

__all__ = ["RowPredictor", "one_row_contributions"]


class RowPredictor:
    """LightGBM's single-row fast path (``LGBM_BoosterPredictForMatSingleRowFast``) for
    ``pred_contrib``: ``Booster.predict`` sets up a predictor and checks its input on every
    call, about a third of the fraud step on one row; this sets one up per thread, once.

    The same C++ TreeSHAP as ``Booster.predict``, on one thread (tests hold the two equal).
    A fast configuration must not be shared between threads, hence one per thread.
    """

    _CONTRIB, _FLOAT64 = 3, 1  # C_API_PREDICT_CONTRIB, C_API_DTYPE_FLOAT64

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster  # kept alive as long as the configuration that points into it
        self.n_features = booster.num_feature()
        self.handle = ctypes.c_void_p()
        _safe_call(_LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle, ctypes.c_int(self._CONTRIB), ctypes.c_int(0), ctypes.c_int(booster.best_iteration),
            ctypes.c_int(self._FLOAT64), ctypes.c_int32(self.n_features), ctypes.c_char_p(b"num_threads=1"),
            ctypes.byref(self.handle)))
        weakref.finalize(self, _LIB.LGBM_FastConfigFree, self.handle)
        self.out_len = ctypes.c_int64()

    def predict(self, row: np.ndarray) -> np.ndarray:
        if row.shape != (1, self.n_features):
            raise ValueError(f"row must have shape (1, {self.n_features}); got {row.shape}")
        data = np.ascontiguousarray(row, dtype=np.float64)
        out = np.empty((1, self.n_features + 1), dtype=np.float64)  # one SHAP value per feature, then the bias
        _safe_call(_LIB.LGBM_BoosterPredictForMatSingleRowFast(
            self.handle, data.ctypes.data_as(ctypes.c_void_p), ctypes.byref(self.out_len),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
        return out


# Per thread, the predictor of the last booster it scored with (a reload replaces it on the
# next call; holding it here rather than on the model keeps the model plain, picklable data).
_ROW_PREDICTOR = threading.local()


def one_row_contributions(booster: lgb.Booster, row: np.ndarray) -> np.ndarray:
    """``booster.predict(row, pred_contrib=True, num_threads=1)`` for a (1, n_features) row."""
    predictor: RowPredictor | None = getattr(_ROW_PREDICTOR, "last", None)
    if predictor is None or predictor.booster is not booster:
        predictor = _ROW_PREDICTOR.last = RowPredictor(booster)
    return predictor.predict(row)
