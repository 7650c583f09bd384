"""Gaussian-process surrogates built on BoTorch.

* :class:`GPSurrogate` — ``SingleTaskGP`` with inputs normalised to the design space's unit cube
  (``Normalize`` with the declared bounds) and standardised outcomes (``Standardize``).
  Categorical parameters are expanded to one-hot columns inside the model
  (:class:`~anodelab.models.onehot.LevelCodesToOneHot`, ``categorical_encoding="one-hot"``, the
  default) or handled by ``MixedSingleTaskGP``'s Hamming-distance kernel on level codes
  (``"hamming"``).  On the direct-arylation benchmark (12 ligands × 4 bases × 4 solvents) one-hot
  needed a median of 33.5 experiments to reach 95 % of the best yield against 56.5 for Hamming
  (10 seeds, docs/performance-optimization.md), and fitted 5× faster.  Hyperparameters by maximising the exact marginal log likelihood
  (``fit_gpytorch_mll``) under BoTorch's dimension-scaled priors (Hvarfner et al., 2024,
  *Vanilla Bayesian optimization performs great in high dimensions*, ICML).
* With ``task_column`` set it becomes a multi-task GP (intrinsic coregionalisation model,
  Bonilla et al., 2007, NeurIPS): each source (paper, lab) is a task, the covariance is

  .. math:: k((x, s), (x', s')) = k_x(x, x')\\, B_{s s'}

  and predictions are for ``target_task``; related literature data thereby informs a new lab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import MixedSingleTaskGP, MultiTaskGP, SingleTaskGP
from botorch.models.transforms.input import ChainedInputTransform, Normalize
from botorch.models.transforms.outcome import Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood

from anodelab.models.base import check_training_data
from anodelab.models.conditional import InactiveToConstant
from anodelab.models.features import Feature, encode
from anodelab.models.kernels import KERNELS, design_kernel
from anodelab.models.noise import noise_floor
from anodelab.models.numerics import quiet_numerics
from anodelab.models.onehot import LevelCodesToOneHot
from anodelab.models.threads import torch_threads
from anodelab.schema.errors import InputError

__all__ = ["GPSurrogate", "DTYPE"]

DTYPE = torch.float64
DEFAULT_KERNEL = "matern"
DEFAULT_CATEGORICAL_ENCODING = "one-hot"
CATEGORICAL_ENCODINGS = {
    "one-hot": "SingleTaskGP over one-hot columns (one ARD lengthscale per level; BayBE's default)",
    "hamming": "MixedSingleTaskGP (one Hamming-distance lengthscale per categorical parameter)",
}


class GPSurrogate:
    """Exact GP with normalised inputs and standardised outcomes (scikit-learn conventions).

    Parameters
    ----------
    features:
        Model inputs (:class:`~anodelab.models.features.Feature`), in column order.
    task_column:
        Column of ``X`` naming the task (e.g. ``source``); enables the multi-task GP.
    target_task:
        Task whose predictions are wanted (default: the most frequent task in ``fit``).
    random_state:
        Seed for the hyperparameter fit (torch RNG, forked so the global state is untouched).
    categorical_encoding:
        ``"one-hot"`` (levels expanded inside the model, one lengthscale per level) or
        ``"hamming"`` (``MixedSingleTaskGP``); see :data:`CATEGORICAL_ENCODINGS`.
    kernel:
        ``"matern"`` (Matérn-5/2 on numbers × squared exponential on levels) or ``"rbf"``; see
        :mod:`anodelab.models.kernels`.
    transfer_guard:
        With ``task_column``: after fitting, judge whether the other tasks help predict the
        target (:func:`anodelab.models.transfer.judge_transfer`); if not, the surrogate becomes
        the single-task GP that replaces them (``multi_task_`` false).  The verdict is kept in
        ``transfer_decision_``.
    """

    #: With ``transfer_guard``: whether the other tasks were kept, and why
    #: (:func:`anodelab.models.transfer.judge_transfer`).
    transfer_decision_: dict[str, Any]

    def __init__(
        self,
        features: Sequence[Feature],
        task_column: str | None = None,
        target_task: str | None = None,
        random_state: int = 0,
        categorical_encoding: str = DEFAULT_CATEGORICAL_ENCODING,
        kernel: str = DEFAULT_KERNEL,
        transfer_guard: bool = False,
    ) -> None:
        if categorical_encoding not in CATEGORICAL_ENCODINGS:
            raise InputError(
                f"unknown categorical encoding {categorical_encoding!r}; "
                f"choose one of {list(CATEGORICAL_ENCODINGS)}"
            )
        if kernel not in KERNELS:
            raise InputError(f"unknown kernel {kernel!r}; choose one of {list(KERNELS)}")
        self.features = features
        self.task_column = task_column
        self.target_task = target_task
        self.random_state = random_state
        self.categorical_encoding = categorical_encoding
        self.kernel = kernel
        self.transfer_guard = transfer_guard

    def single_task_copy(self) -> GPSurrogate:
        """An unfitted single-task surrogate with the same inputs, seed and kernel options."""
        return GPSurrogate(
            self.features,
            random_state=self.random_state,
            categorical_encoding=self.categorical_encoding,
            kernel=self.kernel,
        )

    # -- fitting -----------------------------------------------------------------------------
    def _normalize(
        self, d: int, offset: int = 0, codes_as_numbers: bool = False
    ) -> Normalize | None:
        """Scale feature columns (at ``offset + j``) to the unit cube by the space's bounds
        (``None`` when every input is a categorical level: nothing to scale)."""
        numeric = [
            j for j, f in enumerate(self.features) if not f.is_categorical or codes_as_numbers
        ]
        if not numeric:
            return None
        lower = [self._bounds(j)[0] for j in numeric]
        upper = [self._bounds(j)[1] for j in numeric]
        bounds = torch.tensor([lower, upper], dtype=DTYPE)
        return Normalize(d=d, indices=[j + offset for j in numeric], bounds=bounds)

    def _inputs(self, d: int, offset: int = 0, hamming: bool = False):
        """Input transforms: conditional columns → constant, normalise, level codes → one-hot.

        Feature ``j`` is column ``offset + j`` (the multi-task GP puts the task in column 0).
        Returns the transform and the number of numeric and one-hot columns the kernel sees.
        ``hamming``: level codes stay as they are (``MixedSingleTaskGP``'s categorical kernel);
        otherwise, with ``categorical_encoding="hamming"`` (multi-task GP), they are scaled as
        numbers."""
        cat_dims = [j for j, f in enumerate(self.features) if f.is_categorical]
        one_hot = bool(cat_dims) and self.categorical_encoding == "one-hot" and not hamming
        steps: dict = {}
        if any(f.active_when for f in self.features):
            steps["conditional"] = InactiveToConstant(self.features, offset=offset)
        normalize = self._normalize(d, offset, codes_as_numbers=not (one_hot or hamming))
        if normalize is not None:
            steps["normalize"] = normalize
        n_features = len(self.features)
        n_one_hot = 0
        if one_hot:
            levels = {j + offset: len(self.features[j].categories) for j in cat_dims}
            steps["one_hot"] = LevelCodesToOneHot(d, levels)
            n_one_hot = sum(levels.values())
        n_numeric = n_features - (len(cat_dims) if one_hot else 0)
        transform = (
            None
            if not steps
            else next(iter(steps.values()))
            if len(steps) == 1
            else ChainedInputTransform(**steps)
        )
        return transform, n_numeric, n_one_hot

    def _bounds(self, j: int) -> tuple[float, float]:
        f = self.features[j]
        if f.is_categorical:
            return 0.0, float(max(len(f.categories) - 1, 1))
        if f.upper > f.lower:
            return f.lower, f.upper
        return f.lower - 0.5, f.lower + 0.5  # a fixed column: any non-zero span

    def fit(self, X: pd.DataFrame, y: np.ndarray, y_std: np.ndarray | None = None) -> GPSurrogate:
        """Fit hyperparameters by maximum marginal likelihood; returns ``self``.

        The likelihood's noise variance is kept at or above the floor that replicate rows (same
        recipe, same task) and stated uncertainties ``y_std`` (default: ``X["y_std"]`` if
        present) give (:func:`anodelab.models.noise.noise_floor`); ``noise_floor_`` holds it.
        """
        if y_std is None and "y_std" in X.columns:
            y_std = X["y_std"].to_numpy(dtype=float)
        with torch_threads():
            self._fit(X, y, y_std)
            if self.transfer_guard and self._mtgp:
                from anodelab.models.transfer import judge_transfer

                replacement, decision = judge_transfer(self, X, y)
                if replacement is not None:
                    self._adopt(replacement)
                self.transfer_decision_ = decision
            return self

    def _adopt(self, other: GPSurrogate) -> None:
        """Take over the fitted state of ``other`` (a single-task GP chosen by the guard)."""
        for name in (
            "_mtgp",
            "model_",
            "n_train_",
            "lengthscales_",
            "fit_warning_",
            "noise_floor_",
            "fit_notes_",
        ):
            setattr(self, name, getattr(other, name))

    @property
    def multi_task_(self) -> bool:
        """Whether the fitted model is a multi-task GP (false after the guard dropped tasks)."""
        return bool(getattr(self, "_mtgp", False))

    def _fit(self, X: pd.DataFrame, y: np.ndarray, y_std: np.ndarray | None = None) -> GPSurrogate:
        self._mtgp = self.task_column is not None
        matrix = encode(X, self.features)
        y = check_training_data(matrix, y)
        self.noise_floor_ = noise_floor(X, y, self.features, y_std, self.task_column)
        d = matrix.shape[1]
        cat_dims = [j for j, f in enumerate(self.features) if f.is_categorical]
        train_y = torch.tensor(y, dtype=DTYPE).unsqueeze(-1)
        with torch.random.fork_rng():
            torch.manual_seed(self.random_state)
            if self._mtgp:
                if self.task_column not in X.columns:
                    raise InputError(f"X lacks the task column {self.task_column!r}")
                labels = X[self.task_column].astype(str).to_numpy()
                tasks = list(dict.fromkeys(labels))
                target = self.target_task
                if target is None:
                    target = pd.Series(labels).value_counts().index[0]
                if target not in tasks:
                    tasks.append(target)  # a task with no data yet: predictions from the others
                self.tasks_ = tasks
                self.target_task_ = target
                codes = np.array([tasks.index(s) for s in labels], dtype=float)
                # task first: the one-hot expansion keeps leading numeric columns in place
                train_x = torch.tensor(np.column_stack([codes, matrix]), dtype=DTYPE)
                transform, n_numeric, n_one_hot = self._inputs(d + 1, offset=1)
                model = MultiTaskGP(
                    train_x,
                    train_y,
                    task_feature=0,
                    output_tasks=[tasks.index(target)],
                    all_tasks=list(range(len(tasks))),
                    input_transform=transform,
                    outcome_transform=Standardize(m=1),
                    covar_module=design_kernel(n_numeric, n_one_hot, self.kernel, offset=1),
                )
            elif not cat_dims or self.categorical_encoding == "one-hot":
                train_x = torch.tensor(matrix, dtype=DTYPE)
                transform, n_numeric, n_one_hot = self._inputs(d)
                model = SingleTaskGP(
                    train_x,
                    train_y,
                    input_transform=transform,
                    outcome_transform=Standardize(m=1),
                    covar_module=design_kernel(n_numeric, n_one_hot, self.kernel),
                )
            else:  # Hamming kernel on the level codes
                train_x = torch.tensor(matrix, dtype=DTYPE)
                model = MixedSingleTaskGP(
                    train_x,
                    train_y,
                    cat_dims=cat_dims,
                    input_transform=self._inputs(d, hamming=True)[0],
                    outcome_transform=Standardize(m=1),
                )
            if self.noise_floor_ is not None:
                _floor_noise(model, self.noise_floor_)
            mll = ExactMarginalLogLikelihood(model.likelihood, model)
            self.fit_notes_: list[str] = []
            try:
                with quiet_numerics() as caught:
                    fit_gpytorch_mll(mll)
                self.fit_notes_ = caught.notes
            except Exception as exc:  # noqa: BLE001 - keep the prior hyperparameters, say so
                self.fit_warning_: str | None = (
                    f"hyperparameter fit failed ({exc}); prior values kept"
                )
            else:
                self.fit_warning_ = None
        model.eval()
        self.model_ = model
        self.n_train_ = len(y)
        self.lengthscales_ = _lengthscales(model, self.features, offset=1 if self._mtgp else 0)
        return self

    # -- prediction --------------------------------------------------------------------------
    def predict(
        self, X: pd.DataFrame, return_std: bool = False, observation_noise: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std at the recipes in ``X``.

        The std is that of the latent function, or of a new measurement when
        ``observation_noise`` is true (what calibration against noisy data needs).
        """
        if not hasattr(self, "model_"):
            raise InputError("GPSurrogate is not fitted; call fit(X, y) first")
        matrix = torch.tensor(encode(X, self.features), dtype=DTYPE)
        with torch.no_grad(), torch_threads():
            posterior = self.model_.posterior(matrix, observation_noise=observation_noise)
            mean = posterior.mean.reshape(-1).numpy()
            std = posterior.variance.clamp_min(0).sqrt().reshape(-1).numpy()
        return (mean, std) if return_std else mean

    def loo_log_predictive_density(self) -> np.ndarray:
        """Closed-form leave-one-out log predictive density of each training row, in ``y``'s units.

        For the multi-task GP only the rows of the target task are scored (each left out in
        turn while every other row, of every task, stays in).  With :math:`K` the training
        covariance including noise and :math:`\\alpha = K^{-1}(y - m)`, Rasmussen & Williams
        (2006, *Gaussian Processes for Machine Learning*, eqs. 5.10–5.12):

        .. math:: \\mu_{-i} = y_i - \\alpha_i / [K^{-1}]_{ii}, \\quad
                  \\sigma^2_{-i} = 1 / [K^{-1}]_{ii}, \\quad
                  \\log p_i = -\\tfrac12 \\log(2\\pi\\sigma^2_{-i})
                  - \\frac{(y_i - \\mu_{-i})^2}{2\\sigma^2_{-i}} - \\log s_y

        (hyperparameters fitted on all rows; :math:`s_y` = the ``Standardize`` scale, so that
        models standardised on different rows are comparable).  One Cholesky, no refits.
        """
        if not hasattr(self, "model_"):
            raise InputError("GPSurrogate is not fitted; call fit(X, y) first")
        model = self.model_
        with torch.no_grad(), torch_threads():
            model.train()
            try:
                X = model.train_inputs[0]  # type: ignore[index]  # a tuple of tensors at runtime
                prior = model(X)
                marginal = model.likelihood(prior, X) if self._mtgp else model.likelihood(prior)
                K = marginal.covariance_matrix
                resid = model.train_targets - marginal.mean
            finally:
                model.eval()
            K_inv = torch.cholesky_inverse(torch.linalg.cholesky(K))
            alpha = K_inv @ resid
            var = 1.0 / torch.diagonal(K_inv)
            err = alpha * var  # y_i - mu_{-i}
            lpd = -0.5 * torch.log(2 * torch.pi * var) - err**2 / (2 * var)
            # Standardize is always set in fit; its stdvs put the density back in the outcome's units
            stdvs: torch.Tensor = model.outcome_transform.stdvs  # type: ignore[union-attr,assignment]
            lpd = lpd - torch.log(stdvs.reshape(-1)[0])
            if self._mtgp:
                lpd = lpd[X[:, 0].round().long() == self.tasks_.index(self.target_task_)]
        return lpd.numpy()

    def importances(self) -> dict[str, float]:
        """Relative importance per input: inverse ARD lengthscale (unit cube), summing to 1."""
        inverse = {k: 1.0 / v for k, v in self.lengthscales_.items() if v > 0}
        total = sum(inverse.values()) or 1.0
        return {k: v / total for k, v in inverse.items()}


def _floor_noise(model: Any, variance: float) -> None:
    """Keep the likelihood's noise variance ≥ ``variance`` (in ``y``'s units²): the model works
    on standardised outcomes, so the bound is ``variance / s_y²``."""
    from gpytorch.constraints import GreaterThan

    stdvs = getattr(model.outcome_transform, "stdvs", None)
    scale = float(stdvs.reshape(-1)[0]) ** 2 if stdvs is not None else 1.0
    bound = max(variance / scale, 1e-6)
    noise_model = model.likelihood.noise_covar
    noise_model.register_constraint("raw_noise", GreaterThan(bound))
    noise_model.noise = torch.full_like(noise_model.noise, max(1.5 * bound, 1e-4))


def _lengthscales(
    model: torch.nn.Module, features: Sequence[Feature], offset: int = 0
) -> dict[str, float]:
    """ARD lengthscales per input feature, read from every kernel with ``active_dims``.

    Behind a :class:`LevelCodesToOneHot` transform the kernel's columns are mapped back to their
    parameter, and a categorical parameter gets the shortest lengthscale of its levels (the level
    whose presence changes the prediction most).
    """
    result: dict[str, float] = {}
    d = len(features)
    source = _source_columns(model)
    for _, module in model.named_modules():
        ls = getattr(module, "lengthscale", None)
        if ls is None or not hasattr(module, "ard_num_dims"):
            continue
        values = ls.detach().reshape(-1).numpy()
        dims = getattr(module, "active_dims", None)
        dims = list(range(len(values))) if dims is None else dims.tolist()
        if len(dims) != len(values):
            continue
        found: dict[str, float] = {}
        for j, value in zip(dims, values, strict=True):
            j = (source[j] if source is not None and j < len(source) else j) - offset
            if 0 <= j < d:
                name = features[j].name
                found[name] = min(found.get(name, np.inf), float(value))
        for name, value in found.items():
            result.setdefault(name, value)
    return result


def _source_columns(model: torch.nn.Module) -> list[int] | None:
    """Input column of each kernel column when the model expands level codes to one-hot."""
    for module in model.modules():
        if isinstance(module, LevelCodesToOneHot):
            return module.source_columns
    return None
