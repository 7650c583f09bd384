"""Conditional parameters inside a BoTorch model: an inactive input is set to a constant.

:func:`anodelab.models.features.encode` already writes the constant (the feature's lower bound)
into recipe tables; this input transform does the same to the points the acquisition optimiser
tries, so that the acquisition function is flat along a parameter that does not apply (no
phantom uncertainty to explore there) — e.g. the dopamine fraction while the coating is pitch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from botorch.models.transforms.input import InputTransform
from torch import Tensor

from anodelab.models.features import Feature

__all__ = ["InactiveToConstant"]


class InactiveToConstant(InputTransform, torch.nn.Module):
    """Replace conditional columns by their lower bound where their controllers say inactive.

    Columns are those of :func:`~anodelab.models.features.encode` (categoricals as level codes,
    numbers in their own units), feature ``j`` in column ``offset + j``; apply it before
    ``Normalize``.
    """

    def __init__(self, features: Sequence[Feature], offset: int = 0) -> None:
        super().__init__()
        names = [f.name for f in features]
        self.rules: list[tuple[int, float, list[tuple[int, list[int]]]]] = []
        for j, f in enumerate(features):
            if not f.active_when:
                continue
            conditions = []
            for controller, levels in f.active_when:
                c = names.index(controller)
                categories = features[c].categories
                conditions.append((c + offset, [categories.index(level) for level in levels]))
            self.rules.append((j + offset, float(f.lower), conditions))
        self.transform_on_train = True
        self.transform_on_eval = True
        self.transform_on_fantasize = True

    def transform(self, X: Tensor) -> Tensor:
        if not self.rules:
            return X
        X = X.clone()
        for j, lower, conditions in self.rules:
            active = torch.ones_like(X[..., j], dtype=torch.bool)
            for c, codes in conditions:
                code = X[..., c].round()
                active &= torch.isin(code, torch.tensor(codes, dtype=X.dtype))
            X[..., j] = torch.where(active, X[..., j], torch.full_like(X[..., j], lower))
        return X

    def equals(self, other: InputTransform) -> bool:
        return isinstance(other, InactiveToConstant) and self.rules == other.rules
