"""LinearRegressor against scikit-learn on real datasets, at tight tolerance.

Every case fits scikit-learn's ``Lasso`` / ``ElasticNet`` / ``Ridge`` once, in float64,
and certifies that reference with a duality gap computed here in plain NumPy
(independent of sklreg's kernels). LinearRegressor is then fitted on several
representations of the same data (dense, CSR, CSC; float64, float32) and checked for:

- the objective ``P`` (evaluated here in float64 on the float64 data) within 1e-6
  relative of the reference's, in both directions;
- ``dual_gap_`` below the requested tolerance and an upper bound on ``P - P_ref``
  (up to the effect of rounding the data to the fitted dtype, bounded to first order);
- coefficients close to the reference's, and, for strongly convex penalties (an L2
  part), within the distance the two certificates allow.

The datasets come from the ``real_dataset`` fixture, which skips when they are absent.
Binary targets are used as +-1 regression targets. Heavier cases are marked ``slow``.
"""

import warnings
import zlib
from typing import NamedTuple

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from sklreg import LinearRegressor

# Relative duality gap (times the intercept-only objective) requested from sklreg. The
# certificate of float32 weights stalls at their rounding, which depends on the last
# iterate: dorothea's lasso ends at 4.8e-11 or at 1.7e-10 depending on where descent stops.
TOL = {np.float64: 1e-13, np.float32: 1e-9}
# Largest relative objective difference to the reference.
OBJECTIVE_RTOL = 1e-6
# Coefficient agreement, as a fraction of the largest reference coefficient. In float32
# the data themselves are rounded, which moves the optimum by ~ condition * 6e-8: up to
# 1.5e-3 on arcene (raw counts up to ~1000) with an elastic net.
COEF_ATOL = {np.float64: 1e-4, np.float32: 5e-3}
# The reference must be certified to this relative gap (so it cannot hide a worse
# optimum than sklreg's, nor make the 1e-6 comparison meaningless).
REFERENCE_RELATIVE_GAP = 1e-8
# First-order bound on the objective change from rounding the data: multiples of the
# unit roundoff per entry (rounding of X, of its means, of the centering, of sqrt(s)).
ROUNDING_FACTOR = 8.0

ROWS = {"reuters_earn": 2000}  # subsample (first rows) of the large sets
MIN_COLUMN_NNZ = {"dorothea": 10}  # keep the columns with this many nonzeros (default 1)
DENSE_REFERENCE_MAX_ENTRIES = 2_000_000  # fit the reference on dense X below this size


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


class Case(NamedTuple):
    dataset: str
    family: str  # 'lasso', 'enet0.3', 'enet0.7' or 'ridge'
    fit_intercept: bool
    weighted: bool

    @property
    def penalty(self):
        return {"lasso": "l1", "ridge": "l2"}.get(self.family, "elasticnet")

    @property
    def l1_ratio(self):
        return {"lasso": 1.0, "ridge": 0.0, "enet0.3": 0.3, "enet0.7": 0.7}[self.family]

    @property
    def id(self):
        return "-".join(
            [
                self.dataset,
                self.family,
                "intercept" if self.fit_intercept else "nointercept",
                "weighted" if self.weighted else "unweighted",
            ]
        )


# alpha as a fraction of alpha_max (of the L1 part; for ridge, of the lasso's alpha_max).
ALPHA_FRACTION = {
    "riboflavin": {"lasso": 1 / 10, "enet0.3": 1 / 10, "enet0.7": 1 / 10, "ridge": 1 / 100},
    "cpusmall": {"lasso": 1 / 1000, "enet0.3": 1 / 1000, "enet0.7": 1 / 1000, "ridge": 1e-4},
    "leukemia": {"lasso": 1 / 20, "enet0.3": 1 / 10, "enet0.7": 1 / 10, "ridge": 1 / 100},
    "colon": {"lasso": 1 / 10, "enet0.3": 1 / 5, "enet0.7": 1 / 5, "ridge": 1 / 100},
    "arcene": {"lasso": 1 / 2, "enet0.3": 1 / 2, "enet0.7": 1 / 2, "ridge": 1 / 100},
    "dorothea": {"lasso": 1 / 20, "enet0.3": 1 / 10, "enet0.7": 1 / 10, "ridge": 1 / 100},
    "reuters_earn": {"lasso": 1 / 20, "enet0.3": 1 / 10, "enet0.7": 1 / 10, "ridge": 1 / 100},
}
DENSE_SETS = ["riboflavin", "cpusmall", "leukemia", "colon"]
SPARSE_SETS = ["arcene", "dorothea", "reuters_earn"]
FAMILIES = ["lasso", "enet0.3", "enet0.7", "ridge"]

# (format, dtype) of the data LinearRegressor is fitted on.
DENSE_VARIANTS = [
    ("dense", np.float64),
    ("dense", np.float32),
    ("csr", np.float64),
    ("csc", np.float32),
]
SPARSE_VARIANTS = [
    ("csr", np.float64),
    ("csc", np.float64),
    ("csr", np.float32),
    ("csc", np.float32),
]
EXTRA_VARIANTS = {  # representations only tried in the slow set
    "dense": [("csc", np.float64), ("csr", np.float32)],
    "arcene": [("dense", np.float64), ("dense", np.float32)],
}

# The fast set: every family, intercept and weighting on the dense sets, and at least
# one case of each sparse set.
FAST_CASES = {
    Case("riboflavin", "lasso", True, False),
    Case("riboflavin", "enet0.3", True, True),
    Case("riboflavin", "enet0.7", False, False),
    Case("riboflavin", "ridge", True, True),
    Case("leukemia", "lasso", False, True),
    Case("leukemia", "enet0.7", True, True),
    Case("leukemia", "ridge", False, False),
    Case("colon", "lasso", True, True),
    Case("colon", "enet0.3", False, False),
    Case("cpusmall", "lasso", True, True),
    Case("cpusmall", "enet0.3", False, True),
    Case("cpusmall", "ridge", True, False),
    Case("arcene", "lasso", True, False),
    Case("arcene", "ridge", False, True),
    Case("dorothea", "lasso", True, False),
    Case("dorothea", "enet0.7", False, True),
    Case("reuters_earn", "lasso", True, True),
    Case("reuters_earn", "ridge", False, False),
}


def _variants(dataset):
    if dataset in DENSE_SETS:
        return DENSE_VARIANTS, EXTRA_VARIANTS["dense"]
    return SPARSE_VARIANTS, EXTRA_VARIANTS.get(dataset, [])


def _params():
    params = []
    for dataset in DENSE_SETS + SPARSE_SETS:
        base, extra = _variants(dataset)
        for family in FAMILIES:
            for fit_intercept in (True, False):
                for weighted in (False, True):
                    case = Case(dataset, family, fit_intercept, weighted)
                    for variant in base + extra:
                        fmt, dtype = variant
                        fast = case in FAST_CASES and variant in base
                        marks = [] if fast else [pytest.mark.slow]
                        variant_id = f"{fmt}{np.dtype(dtype).itemsize * 8}"
                        param_id = f"{case.id}-{variant_id}"
                        params.append(pytest.param(case, fmt, dtype, marks=marks, id=param_id))
    return params


# --------------------------------------------------------------------------------------
# Data, objective and certificates (plain NumPy, float64)
# --------------------------------------------------------------------------------------

_DATA = {}
_REFERENCES = {}


def _load(real_dataset, name):
    """``(X, y)``: float64 X (dense or CSR, empty columns dropped), +-1 or real y."""
    if name not in _DATA:
        X, y = real_dataset(name)
        if name in ROWS:
            X, y = X[: ROWS[name]], y[: ROWS[name]]
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=np.float64)
            X = X[:, np.flatnonzero(X.getnnz(axis=0) >= MIN_COLUMN_NNZ.get(name, 1))].tocsr()
            X.sort_indices()
        else:
            X = np.ascontiguousarray(X, dtype=np.float64)
        y = 2.0 * y - 1.0 if y.dtype.kind in "iub" else np.asarray(y, dtype=np.float64)
        _DATA[name] = (X, y)
    return _DATA[name]


def _identical_column_groups(X):
    """Matrix summing the coefficients of each group of identical columns of ``X`` (one
    row per distinct column)."""
    if sp.issparse(X):
        X = sp.csc_matrix(X)
        X.sort_indices()
        first = {}
        group = np.array([
            first.setdefault((X.indices[start:end].tobytes(), X.data[start:end].tobytes()),
                             len(first))
            for start, end in zip(X.indptr[:-1], X.indptr[1:], strict=True)])
    else:
        group = np.unique(X, axis=1, return_inverse=True)[1].ravel()
    return sp.csr_matrix((np.ones(group.size), (group, np.arange(group.size))))


def _sample_weight(case, n_samples):
    """All ones, or seeded positive weights (the seed depends on the dataset only)."""
    if not case.weighted:
        return np.ones(n_samples)
    rng = np.random.RandomState(zlib.crc32(case.dataset.encode()))
    return rng.uniform(0.2, 2.0, n_samples)


def _matvec(X, w):
    return np.asarray(X @ w, dtype=np.float64).ravel()


def _rmatvec(X, v):
    return np.asarray(X.T @ v, dtype=np.float64).ravel()


def _offsets(X, y, sw, fit_intercept):
    """Weighted means of the columns of X and of y (zeros without intercept)."""
    if not fit_intercept:
        return np.zeros(X.shape[1]), 0.0
    return _rmatvec(X, sw) / sw.sum(), float(sw @ y) / sw.sum()


def alpha_max(X, y, sw, fit_intercept):
    """Smallest lasso alpha (l1_ratio=1) at which the zero vector is optimal."""
    x_mean, y_mean = _offsets(X, y, sw, fit_intercept)
    yc = sw * (y - y_mean)
    return np.abs(_rmatvec(X, yc) - x_mean * yc.sum()).max() / sw.sum()


def null_objective(y, sw, fit_intercept):
    """Objective of the intercept-only model (of the zero model without intercept)."""
    y_mean = float(sw @ y) / sw.sum() if fit_intercept else 0.0
    return 0.5 * float(sw @ (y - y_mean) ** 2) / sw.sum()


def objective(X, y, sw, coef, intercept, alpha, l1_ratio):
    """``P(w, b)`` of the module docstring, in float64."""
    coef = np.asarray(coef, dtype=np.float64)
    r = y - _matvec(X, coef) - float(intercept)
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * (coef @ coef)
    return 0.5 * float(sw @ (r * r)) / sw.sum() + alpha * penalty


def duality_gap(X, y, sw, coef, alpha, l1_ratio, fit_intercept):
    """An upper bound on ``P(coef, b*(coef)) - min P``, from the residual as dual point.

    With ``S = sum s`` the problem times ``S`` is ``1/2 sum s_i r_i^2 + g(w)``,
    ``g = S alpha (rho |.|_1 + (1 - rho)/2 |.|^2)``; its dual at ``theta = s * r``
    (``sum theta = 0`` with an intercept) is
    ``theta.y - 1/2 sum theta_i^2 / s_i - g*(X^T theta)``. Two dual points are used: the
    residual (finite conjugate when ``rho < 1``) and, when ``rho > 0``, the residual
    rescaled into the dual set of the lasso on the augmented design ``[X; sqrt(l2) I]``.

    Returns
    -------
    gap : float
        On the scale of ``P``; also bounds ``P(coef, b) - min P`` for the optimal ``b``.
    """
    S = sw.sum()
    coef = np.asarray(coef, dtype=np.float64)
    r = y - _matvec(X, coef)
    if fit_intercept:
        r -= float(sw @ r) / S
    l1, l2 = S * alpha * l1_ratio, S * alpha * (1.0 - l1_ratio)
    theta = sw * r
    primal = 0.5 * float(theta @ r) + l1 * np.abs(coef).sum() + 0.5 * l2 * (coef @ coef)
    grad = _rmatvec(X, theta)
    duals = []
    if l2 > 0:
        excess = np.maximum(np.abs(grad) - l1, 0.0)
        duals.append(float(theta @ y) - 0.5 * float(theta @ r) - (excess @ excess) / (2 * l2))
    if l1 > 0:
        dual_norm = np.abs(grad - l2 * coef).max()
        scale = min(1.0, l1 / dual_norm) if dual_norm > 0 else 1.0
        duals.append(
            scale * float(theta @ y) - 0.5 * scale**2 * (float(theta @ r) + l2 * (coef @ coef))
        )
    return max(primal - max(duals), 0.0) / S


def objective_error(X, y, sw, coef, intercept, x_mean, unit):
    """Bound on the change of ``P(coef, intercept)`` when the data are rounded to ``unit``."""
    coef = np.asarray(coef, dtype=np.float64)
    abs_X = abs(X) if sp.issparse(X) else np.abs(X)
    size = (
        np.abs(y)
        + _matvec(abs_X, np.abs(coef))
        + float(np.abs(x_mean) @ np.abs(coef))
        + abs(float(intercept))
    )
    delta = ROUNDING_FACTOR * unit * size
    r = y - _matvec(X, coef) - float(intercept)
    return (float(sw @ (np.abs(r) * delta)) + 0.5 * float(sw @ (delta * delta))) / sw.sum()


# --------------------------------------------------------------------------------------
# Reference (scikit-learn, float64, certified here)
# --------------------------------------------------------------------------------------


class Reference(NamedTuple):
    alpha: float
    coef: np.ndarray
    intercept: float
    objective: float
    gap: float  # certified here: objective - min P <= gap
    null_objective: float


def _reference(real_dataset, case):
    if case in _REFERENCES:
        return _REFERENCES[case]
    X, y = _load(real_dataset, case.dataset)
    sw = _sample_weight(case, X.shape[0])
    fraction = ALPHA_FRACTION[case.dataset][case.family]
    # alpha_max of the L1 part (of the lasso for ridge), times the case's fraction
    l1_ratio = case.l1_ratio if case.l1_ratio > 0 else 1.0
    alpha = fraction * alpha_max(X, y, sw, case.fit_intercept) / l1_ratio
    if sp.issparse(X) and X.shape[0] * X.shape[1] <= DENSE_REFERENCE_MAX_ENTRIES:
        X_ref = X.toarray()
    else:
        X_ref = X
    common = dict(fit_intercept=case.fit_intercept)
    if case.family == "ridge":
        solver = "sparse_cg" if sp.issparse(X_ref) else "cholesky"
        model = Ridge(alpha=alpha * sw.sum(), solver=solver, tol=1e-12, **common)
    elif case.family == "lasso":
        model = Lasso(alpha=alpha, tol=1e-10, max_iter=200_000, **common)
    else:
        model = ElasticNet(
            alpha=alpha, l1_ratio=case.l1_ratio, tol=1e-10, max_iter=200_000, **common
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # certified below instead
        model.fit(X_ref, y, sample_weight=sw if case.weighted else None)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = float(model.intercept_)
    P_ref = objective(X, y, sw, coef, intercept, alpha, case.l1_ratio)
    gap = duality_gap(X, y, sw, coef, alpha, case.l1_ratio, case.fit_intercept)
    # The intercept of the reference may be slightly off its optimum for its coef:
    # P(coef, b) - P(coef, b*) is exact, added to the certificate.
    x_mean, y_mean = _offsets(X, y, sw, case.fit_intercept)
    if case.fit_intercept:
        b_opt = y_mean - float(x_mean @ coef)
        gap += P_ref - objective(X, y, sw, coef, b_opt, alpha, case.l1_ratio)
    ref = Reference(
        alpha, coef, intercept, P_ref, max(gap, 0.0), null_objective(y, sw, case.fit_intercept)
    )
    assert ref.gap <= REFERENCE_RELATIVE_GAP * ref.objective, (
        f"scikit-learn reference not converged: relative gap {ref.gap / ref.objective:.2e}"
    )
    _REFERENCES[case] = ref
    return ref


# --------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------


def _as_format(X, fmt, dtype):
    if fmt == "dense":
        return X.toarray().astype(dtype) if sp.issparse(X) else X.astype(dtype)
    converted = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    return converted.astype(dtype)


@pytest.mark.parametrize(("case", "fmt", "dtype"), _params())
def test_matches_scikit_learn_on_real_data(real_dataset, record_property, case, fmt, dtype):
    X, y = _load(real_dataset, case.dataset)
    sw = _sample_weight(case, X.shape[0])
    ref = _reference(real_dataset, case)
    tol = TOL[dtype]

    model = LinearRegressor(
        case.penalty,
        alpha=ref.alpha,
        l1_ratio=case.l1_ratio,
        fit_intercept=case.fit_intercept,
        tol=tol,
        max_iter=100_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(_as_format(X, fmt, dtype), y, sample_weight=sw if case.weighted else None)

    assert model.coef_.dtype == dtype
    if not case.fit_intercept:
        assert model.intercept_ == 0.0
    coef = model.coef_.astype(np.float64)
    P = objective(X, y, sw, coef, model.intercept_, ref.alpha, case.l1_ratio)
    relative = (P - ref.objective) / ref.objective
    scale = np.abs(ref.coef).max()
    coef_diff = np.abs(coef - ref.coef).max() / scale if scale > 0 else np.abs(coef).max()
    record_property("relative_objective", relative)
    record_property("relative_coef", coef_diff)
    record_property("relative_dual_gap", model.dual_gap_ / ref.objective)
    record_property("n_iter", model.n_iter_)

    # Objective: within 1e-6 of the reference, and not below the certified optimum.
    assert P <= ref.objective * (1 + OBJECTIVE_RTOL), f"relative objective excess {relative:.2e}"
    assert P >= ref.objective - ref.gap - 1e-14 * ref.null_objective, (
        f"objective {relative:.2e} below the reference's certified optimum"
    )
    assert relative >= -OBJECTIVE_RTOL

    # The certificate: converged, and an upper bound on the suboptimality.
    assert 0.0 <= model.dual_gap_ <= tol * ref.null_objective * (1 + 1e-9)
    x_mean, _ = _offsets(X, y, sw, case.fit_intercept)
    unit = np.finfo(dtype).eps
    slack = objective_error(X, y, sw, coef, model.intercept_, x_mean, unit)
    slack += objective_error(X, y, sw, ref.coef, ref.intercept, x_mean, unit)
    assert P - ref.objective <= model.dual_gap_ + slack, (
        f"P - P_ref = {P - ref.objective:.3e} > dual_gap_ {model.dual_gap_:.3e} "
        f"+ rounding slack {slack:.3e}"
    )

    # Coefficients; the lasso's optimum is unique only up to how identical columns (colon
    # has three groups) share their weight: compared summed over each group
    groups = _identical_column_groups(X)
    assert_allclose(groups @ coef, groups @ ref.coef, rtol=0, atol=COEF_ATOL[dtype] * scale)
    if case.l1_ratio < 1:
        # P is mu-strongly convex in w (after minimizing over b): |w - w*|^2 <= 2 gap / mu.
        mu = ref.alpha * (1 - case.l1_ratio)
        ours = max(P - ref.objective + ref.gap, 0.0) + 1e-15 * ref.null_objective
        distance = np.sqrt(2 * ours / mu) + np.sqrt(2 * ref.gap / mu)
        assert np.linalg.norm(coef - ref.coef) <= distance * (1 + 1e-6)
