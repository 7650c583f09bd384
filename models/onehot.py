"""Level codes → one-hot columns inside a BoTorch model (an input transform).

The optimiser, the candidate tables and the pending recipes all work with categorical level
codes ``0 … k−1`` (one column per categorical parameter, as
:func:`anodelab.models.features.encode` writes them, and as BoTorch's mixed optimiser
``optimize_acqf_mixed_alternating`` enumerates them).  A GP with an ordinary stationary ARD kernel
over one-hot columns — BayBE's default encoding of categorical parameters — then sees each level
as its own 0/1 input with its own lengthscale, which lets it learn that *some* levels are alike
and others not (a Hamming kernel has one lengthscale per parameter: every pair of different
levels is equally far apart).  Keeping the expansion inside the model means nothing outside it
changes.
"""

from __future__ import annotations

import torch
from botorch.models.transforms.input import InputTransform
from torch import Tensor

__all__ = ["LevelCodesToOneHot"]


class LevelCodesToOneHot(InputTransform, torch.nn.Module):
    """Replace each categorical code column by ``k`` one-hot columns (numeric columns kept first).

    Parameters
    ----------
    d:
        Number of input columns before the expansion.
    levels:
        ``{column index: number of levels}`` of the categorical columns.

    The output has the numeric columns in their order, then the one-hot block of each categorical
    column in its order; :attr:`source_columns` maps every output column back to its input
    column.  Codes are rounded and clipped to ``0 … k−1`` (the optimiser's relaxed values).
    """

    def __init__(self, d: int, levels: dict[int, int]) -> None:
        super().__init__()
        bad = [j for j in levels if not 0 <= j < d or levels[j] < 1]
        if bad:
            raise ValueError(f"categorical columns {bad} are not valid for d={d} inputs")
        self.d = d
        self.levels = dict(sorted(levels.items()))
        self.numeric = [j for j in range(d) if j not in self.levels]
        self.transform_on_train = True
        self.transform_on_eval = True
        self.transform_on_fantasize = True

    @property
    def source_columns(self) -> list[int]:
        """Input column of each output column."""
        out = list(self.numeric)
        for j, k in self.levels.items():
            out.extend([j] * k)
        return out

    @property
    def n_outputs(self) -> int:
        return len(self.numeric) + sum(self.levels.values())

    def transform(self, X: Tensor) -> Tensor:
        blocks = [X[..., self.numeric]]
        for j, k in self.levels.items():
            codes = X[..., j].round().clamp(0, k - 1).long()
            blocks.append(torch.nn.functional.one_hot(codes, k).to(X))
        return torch.cat(blocks, dim=-1)

    def equals(self, other: InputTransform) -> bool:
        return (
            isinstance(other, LevelCodesToOneHot)
            and self.d == other.d
            and self.levels == other.levels
        )
