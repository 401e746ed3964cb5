"""LinearClassifier against scikit-learn's LogisticRegression, optimality and input checks.

References are ``LogisticRegression`` at very tight tolerance (saga for L1 / elastic net,
lbfgs for L2 and no penalty) with ``C = 1 / (alpha * S)``; objectives are evaluated in
plain NumPy (:func:`objective`), independently of sklreg's kernels.
"""

import tracemalloc
import warnings
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sklreg import LinearClassifier, LinearClassifierCV
from sklreg._datafits import classification_probabilities
from sklreg.linear import _design
from sklreg.linear._classifier import (
    ClassificationProblem,
    class_indices,
    warn_if_not_converged,
)
from sklreg.linear._classifier_cv import classification_alpha_max
from sklreg.linear._design import kernel_arrays
from sklreg.solvers import _newton_l2
from sklreg.solvers._columns import csc_layout_of_csr, gather_columns
from sklreg.solvers._lbfgs_l2 import (
    HISTORY,
    _Memory,
    _two_loop,
    design_gradient,
    design_predictions,
    lbfgs_l2,
    product_operands,
)
from sklreg.solvers._newton_l2 import newton_l2
from sklreg.solvers._prox_newton import (
    MAX_CD_EPOCHS,
    _anderson_model_step,
    _model_value,
    _newton_step,
    intercept_newton_step,
    optimize_intercepts,
    prox_newton,
    row_gradient,
    row_predictions,
)

L1_RATIO = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5, None: 0.0}


def objective(X, y, coef, intercept, alpha, l1_ratio, sample_weight=None, classes=None):
    """CONVENTIONS.md objective of a binary (one coef row) or multinomial linear classifier."""
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    classes = np.unique(y) if classes is None else classes
    labels = np.searchsorted(classes, y)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    coef = np.asarray(coef, dtype=np.float64)
    Z = np.asarray(X @ coef.T) + intercept
    if Z.shape[1] == 1:
        signs = np.where(labels == 1, 1.0, -1.0)
        loss = np.logaddexp(0.0, -signs * Z[:, 0])
    else:
        loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), labels]
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * (coef**2).sum()
    return sw @ loss / sw.sum() + alpha * penalty


def make_data(n_classes, n_samples=120, n_features=20, seed=0):
    n_informative = min(8, n_features)
    X, y = make_classification(n_samples, n_features, n_informative=n_informative,
                               n_redundant=min(4, n_features - n_informative),
                               n_classes=n_classes, n_clusters_per_class=1, flip_y=0.1,
                               random_state=seed)
    return StandardScaler().fit_transform(X) + 0.5, y


def reference(X, y, alpha, penalty, sample_weight=None, fit_intercept=True, class_weight=None):
    """LogisticRegression at very tight tolerance, converted as in CONVENTIONS.md."""
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    if class_weight is not None:
        classes, labels = np.unique(y, return_inverse=True)
        sw = sw * compute_class_weight(class_weight, classes=classes, y=y,
                                       sample_weight=sample_weight)[labels]
    if penalty is None:
        C, l1_ratio, solver = np.inf, 0.0, "lbfgs"
    else:
        C, l1_ratio = 1.0 / (alpha * sw.sum()), L1_RATIO[penalty]
        solver = "lbfgs" if penalty == "l2" else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-12,
                                   max_iter=100_000, fit_intercept=fit_intercept,
                                   class_weight=class_weight)
        model.fit(X, y, sample_weight=sample_weight)
    return model


def assert_matches_reference(model, ref, X, y, alpha, penalty, sample_weight=None,
                             effective_weight=None, coef_atol=1e-4):
    l1_ratio = L1_RATIO[penalty]
    alpha = 0.0 if penalty is None else alpha
    sw = sample_weight if effective_weight is None else effective_weight
    ours = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio, sw)
    theirs = objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio, sw)
    assert ours <= theirs * (1 + 1e-6)
    assert theirs <= ours * (1 + 1e-6)
    if coef_atol is not None:
        scale = max(np.abs(ref.coef_).max(), 1.0)
        assert_allclose(model.coef_, ref.coef_, atol=coef_atol * scale)
    if np.isfinite(model.dual_gap_):  # the certificate bounds the suboptimality
        assert ours - theirs <= model.dual_gap_ + 1e-13


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_matches_logistic_regression(n_classes, penalty, fit_intercept):
    X, y = make_data(n_classes)
    alpha = 0.02
    model = LinearClassifier(penalty, alpha=alpha, l1_ratio=0.5, tol=1e-12,
                             fit_intercept=fit_intercept).fit(X, y)
    ref = reference(X, y, alpha, penalty, fit_intercept=fit_intercept)
    assert_matches_reference(model, ref, X, y, alpha, penalty)
    assert model.coef_.shape == ((1, 20) if n_classes == 2 else (n_classes, 20))
    assert model.intercept_.shape == (model.coef_.shape[0],)
    if not fit_intercept:
        assert_array_equal(model.intercept_, 0.0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_l2_by_lbfgs_matches_the_direct_newton_and_reference(monkeypatch, sparse,
                                                                   fit_intercept, dtype):
    """Binary L2 reaches L-BFGS with more samples than features, or both dimensions large;
    the exact Newton, with few samples. Each forced here on a small problem (weighted,
    off-centre features), they give the same solution as scikit-learn."""
    import sklreg.linear._classifier as classifier_module

    X, y = make_data(2, n_samples=150, n_features=30, seed=3)
    X[:, ::3] += 4.0
    sw = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    X_fit = (sp.csr_matrix(X) if sparse else X).astype(dtype)
    alpha = 0.01
    params = dict(alpha=alpha, tol=1e-12, max_iter=1000, fit_intercept=fit_intercept)
    monkeypatch.setattr(classifier_module, "direct_newton_applies", lambda *args: True)
    newton = LinearClassifier("l2", **params).fit(X_fit, y, sample_weight=sw)
    monkeypatch.setattr(classifier_module, "direct_newton_applies", lambda *args: False)
    monkeypatch.setattr(classifier_module, "small_l2_problem", lambda *args: False)
    monkeypatch.setattr(classifier_module, "newton_fallback_after", lambda *args: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        lbfgs = LinearClassifier("l2", **params).fit(X_fit, y, sample_weight=sw)
    assert lbfgs.n_iter_ > newton.n_iter_  # the two solvers did run
    assert lbfgs.dual_gap_ <= 1e-12 * np.log(2)
    ref = reference(X_fit.astype(np.float64), y, alpha, "l2", sample_weight=sw,
                    fit_intercept=fit_intercept)
    assert_matches_reference(lbfgs, ref, X_fit, y, alpha, "l2", sample_weight=sw)
    # alpha-strong convexity in the weights: ||w - w*||^2 <= 2 gap / alpha for each solution
    distance = np.linalg.norm(lbfgs.coef_ - newton.coef_)
    assert distance <= np.sqrt(2 * lbfgs.dual_gap_ / alpha) + np.sqrt(
        2 * newton.dual_gap_ / alpha)


def text_like_data(n_samples=300, n_features=400, raw_counts=False, seed=0, density=0.03):
    """Sparse non-negative rows (unit-norm tf-idf-like, or raw counts of varied lengths)."""
    rng = np.random.RandomState(seed)
    X = sp.random(n_samples, n_features, density=density, random_state=rng, format="csr")
    if raw_counts:
        X.data = np.ceil(10 * X.data) * rng.lognormal(0, 2, n_samples).round()[X.tocoo().row]
        X.eliminate_zeros()
    else:
        X = sp.csr_matrix(X.multiply(1 / np.sqrt(X.multiply(X).sum(axis=1) + 1e-12)))
    y = (X @ rng.randn(n_features) + 0.1 * rng.randn(n_samples) > 0).astype(int)
    return X, y


def spy_on_dual_cd(monkeypatch):
    """Record the ``(gap, epochs, handed_over)`` of every dual coordinate descent run."""
    import sklreg.linear._classifier as classifier_module

    runs, solve = [], classifier_module.dual_cd_l2

    def recorded(*args, **kwargs):
        runs.append(solve(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(classifier_module, "dual_cd_l2", recorded)
    return runs


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_l2_dual_cd_matches_reference(monkeypatch, sparse, dtype):
    """Binary L2 without intercept runs dual coordinate descent: on text-like data it stops on
    its own (weighted, some weights zero) with scikit-learn's solution and a true gap."""
    X, y = text_like_data()
    sw = np.random.RandomState(1).uniform(0.0, 3.0, len(y))
    sw[:10] = 0.0
    X_fit = (X if sparse else X.toarray()).astype(dtype)
    alpha = 1e-3
    runs = spy_on_dual_cd(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", alpha=alpha, tol=1e-10, fit_intercept=False).fit(
            X_fit, y, sample_weight=sw)
    assert len(runs) == 1 and not runs[0][2]  # converged without handing over
    assert model.n_iter_ == runs[0][1] and model.dual_gap_ <= 1e-10 * np.log(2)
    ref = reference(X_fit.astype(np.float64), y, alpha, "l2", sample_weight=sw,
                    fit_intercept=False)
    assert_matches_reference(model, ref, X_fit, y, alpha, "l2", sample_weight=sw)


def test_dual_cd_by_blocks_of_rows_sorted_by_class(monkeypatch):
    """Many short sparse rows are visited by blocks of consecutive rows: with the rows
    sorted by class (every block of one class), dual coordinate descent still converges on
    its own, to scikit-learn's solution with a true gap."""
    from sklreg.solvers._dual_cd_l2 import BLOCK_ROWS, MIN_BLOCKS

    n_samples = BLOCK_ROWS * MIN_BLOCKS + 5  # a last block of 5 rows
    X, y = text_like_data(n_samples=n_samples, n_features=n_samples + 100, seed=3,
                          density=0.005)
    X.data[:] = np.random.RandomState(4).lognormal(0, 0.5, X.nnz)  # same rows, uneven norms
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    alpha = 1e-3
    runs = spy_on_dual_cd(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", alpha=alpha, tol=1e-10, fit_intercept=False).fit(X, y)
    assert len(runs) == 1 and not runs[0][2]
    assert model.dual_gap_ <= 1e-10 * np.log(2)
    ref = reference(X, y, alpha, "l2", fit_intercept=False)
    assert_matches_reference(model, ref, X, y, alpha, "l2")


def test_binary_l2_well_conditioned_goes_to_lbfgs(monkeypatch):
    """A strong penalty (bound on the primal condition number below DUAL_CD_MIN_CONDITION):
    no dual coordinate descent, L-BFGS from the start, the reference's solution; just above
    the bound, dual coordinate descent runs."""
    from sklreg.linear._classifier import DUAL_CD_MIN_CONDITION

    X, y = text_like_data()  # rows of unit norm: the bound is 1 + 1 / (4 alpha)
    runs = spy_on_dual_cd(monkeypatch)
    alpha = 1.0 / (4.0 * (DUAL_CD_MIN_CONDITION - 1.0)) * 1.01
    model = LinearClassifier("l2", alpha=alpha, tol=1e-10, fit_intercept=False).fit(X, y)
    assert runs == [] and model.dual_gap_ <= 1e-10 * np.log(2)
    ref = reference(X, y, alpha, "l2", fit_intercept=False)
    assert_matches_reference(model, ref, X, y, alpha, "l2")
    LinearClassifier("l2", alpha=alpha / 1.02, tol=1e-10, fit_intercept=False).fit(X, y)
    assert len(runs) == 1


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dense"])
def test_primal_condition_bound_is_the_weighted_trace(fmt):
    """``1 + sum_i c_i ||x_i||^2 / (4 l2)`` in any layout, and above the true condition
    number of the Hessian at any point."""
    from sklreg.solvers._dual_cd_l2 import primal_condition_bound

    rng = np.random.RandomState(0)
    X = sp.random(40, 30, density=0.3, random_state=rng, format="csr")
    c = rng.uniform(0.0, 2.0, 40)
    c /= c.sum()
    l2 = 0.05
    expected = 1.0 + (c @ np.asarray(X.multiply(X).sum(axis=1)).ravel()) / (4.0 * l2)
    design = X.toarray() if fmt == "dense" else X.asformat(fmt)
    bound = primal_condition_bound(design, c, l2)
    assert_allclose(bound, expected, rtol=1e-12)
    p = rng.uniform(0.0, 1.0, 40)
    hessian = X.T.toarray() @ ((c * p * (1 - p))[:, None] * X.toarray()) + l2 * np.eye(30)
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues[-1] / eigenvalues[0] <= bound


def duplicated_entries(X):
    """The CSR matrix ``X`` with each entry stored twice in its row, as 3a and -2a."""
    order = np.concatenate([np.r_[np.arange(X.indptr[i], X.indptr[i + 1]),
                                  X.nnz + np.arange(X.indptr[i], X.indptr[i + 1])]
                            for i in range(X.shape[0])])
    return sp.csr_matrix((np.r_[3.0 * X.data, -2.0 * X.data][order],
                          np.r_[X.indices, X.indices][order], 2 * X.indptr), shape=X.shape)


def test_dual_cd_on_a_csr_matrix_with_duplicate_entries():
    """Duplicate entries (a non-canonical CSR, which validation keeps) count as their sum,
    in the row norms too: the epochs are those of the canonical matrix."""
    from sklreg.solvers._dual_cd_l2 import dual_cd_l2

    X, y = text_like_data(seed=3)
    X = sp.csr_matrix(X)
    split = duplicated_entries(X)
    assert not split.has_canonical_format
    c = np.full(len(y), 1.0 / len(y))
    runs = []
    for design in (X, split):
        w = np.zeros(X.shape[1])
        runs.append((dual_cd_l2(design, y, c, w, 1e-3, 100, 1e-10), w))
    (canonical, w_canonical), (duplicated, w_duplicated) = runs
    assert not duplicated[2] and duplicated[1] == canonical[1]
    assert_allclose(w_duplicated, w_canonical, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_proximal_newton_on_a_matrix_with_duplicate_entries(fmt, monkeypatch):
    """Duplicate entries are summed before proximal Newton, whose Hessian diagonal squares
    stored entries: the solver sees each entry once, the fit is that of the canonical
    matrix, and the input stays as given."""
    import sklreg.linear._classifier as classifier

    seen = []
    prox_newton = classifier.prox_newton

    def spy(X, X_data, X_indices, X_indptr, *args):
        seen.append(all(np.unique(X_indices[start:stop]).size == stop - start
                        for start, stop in zip(X_indptr[:-1], X_indptr[1:], strict=True)))
        return prox_newton(X, X_data, X_indices, X_indptr, *args)

    monkeypatch.setattr(classifier, "prox_newton", spy)
    X, y = text_like_data(seed=4)
    X = sp.csr_matrix(X)
    split = duplicated_entries(X) if fmt == "csr" else duplicated_entries(sp.csr_matrix(X.T)).T
    assert split.format == fmt and not split.has_canonical_format
    before = split.data.copy()
    canonical = LinearClassifier(penalty="l1", alpha=0.01, tol=1e-8).fit(X.asformat(fmt), y)
    duplicated = LinearClassifier(penalty="l1", alpha=0.01, tol=1e-8).fit(split, y)
    assert seen == [True, True]
    assert duplicated.n_iter_ == canonical.n_iter_
    assert_allclose(duplicated.coef_, canonical.coef_, rtol=1e-9, atol=1e-12)
    assert_array_equal(split.data, before)
    assert not split.has_canonical_format


@pytest.mark.parametrize("n_blocks", [1, 3])
@pytest.mark.parametrize("fmt", ["csr", "csc", "dense"])
def test_lbfgs_products_on_sparse_designs_match_dense(n_blocks, fmt):
    # CSR designs go through the compiled row loops (unsigned indices); duplicate and
    # unsorted entries must add up as in the dense matrix
    rng = np.random.default_rng(0)
    rows = np.sort(rng.integers(0, 40, 300))
    cols = rng.integers(0, 70, 300)  # unsorted within rows, with repeats
    indptr = np.searchsorted(rows, np.arange(41))
    X = sp.csr_matrix((rng.standard_normal(300), cols, indptr), shape=(40, 70))
    assert not X.has_canonical_format
    dense = X.toarray()
    operands = product_operands(dense if fmt == "dense" else X.asformat(fmt))
    W, R = rng.standard_normal((n_blocks, 70)), rng.standard_normal((n_blocks, 40))
    predictions, gradient = design_predictions(operands, W), design_gradient(operands, R)
    assert_allclose(predictions, W @ dense.T, rtol=1e-12, atol=1e-12)
    assert_allclose(gradient, R @ dense, rtol=1e-12, atol=1e-12)
    assert predictions.flags.c_contiguous and gradient.flags.c_contiguous


def test_dual_cd_hands_badly_scaled_problems_to_lbfgs(monkeypatch):
    """Raw counts with row norms over five orders of magnitude make dual coordinate descent
    crawl: it hands over to L-BFGS, which finishes from its point."""
    X, y = text_like_data(raw_counts=True)
    alpha = 1e-4
    runs = spy_on_dual_cd(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", alpha=alpha, tol=1e-10, fit_intercept=False,
                                 max_iter=10_000).fit(X, y)
    assert len(runs) == 1 and runs[0][2]  # handed over
    assert model.n_iter_ > runs[0][1] and model.dual_gap_ <= 1e-10 * np.log(2)
    ref = reference(X, y, alpha, "l2", fit_intercept=False)
    assert_matches_reference(model, ref, X, y, alpha, "l2", coef_atol=None)


def test_dual_cd_hands_over_on_a_vanishing_penalty(monkeypatch):
    """Separable data with alpha = 1e-9: the dual weights blow up and the gap is not finite.
    Dual coordinate descent must hand over at once, and never hand a worse point on."""
    rng = np.random.RandomState(0)
    X = rng.randn(150, 400)  # fewer samples than features: dual coordinate descent's case
    y = (X[:, 0] > 0).astype(int)
    runs = spy_on_dual_cd(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a 1e-9 penalty: slow either way
        model = LinearClassifier("l2", alpha=1e-9, fit_intercept=False, max_iter=500).fit(X, y)
    assert runs[0][2] and runs[0][1] <= 5  # handed over within a few epochs
    assert objective(X, y, model.coef_, 0.0, 1e-9, 0.0) < 1e-3 < np.log(2)


def test_dual_cd_gap_bounds_the_suboptimality():
    """The gap returned by dual coordinate descent, after any number of epochs, is at least
    the true suboptimality ``P(w) - P*`` (a certificate, not an estimate)."""
    from sklreg.solvers._dual_cd_l2 import dual_cd_l2

    X, y = text_like_data(seed=2)
    c = np.full(len(y), 1.0 / len(y))
    alpha = 1e-3
    ref = reference(X, y, alpha, "l2", fit_intercept=False)
    best = objective(X, y, ref.coef_, 0.0, alpha, 0.0)
    for max_iter in (1, 2, 3, 50):
        w = np.zeros(X.shape[1])
        gap, n_iter, handed_over = dual_cd_l2(X, y, c, w, alpha, max_iter, 1e-13)
        assert not handed_over and n_iter <= max_iter
        assert 0.0 <= objective(X, y, w[None], 0.0, alpha, 0.0) - best <= gap + 1e-13
    assert gap <= 1e-13


@pytest.mark.parametrize("max_iter", [1, 2])
def test_dual_cd_stopped_by_max_iter_is_no_worse_than_zero_weights(max_iter):
    """Raw counts (row norms over five decades): the first epochs overshoot far beyond zero
    weights (an objective of 4.0 against log 2 after one). Stopped there by ``max_iter``,
    the solver returns zero weights, as when it hands over, with the gap of that point
    against its dual point: a certificate still."""
    from sklreg.solvers._dual_cd_l2 import dual_cd_l2

    X, y = text_like_data(raw_counts=True)
    c = np.full(len(y), 1.0 / len(y))
    alpha = 1e-3
    best = objective(X, y, reference(X, y, alpha, "l2", fit_intercept=False).coef_, 0.0,
                     alpha, 0.0)
    w = np.zeros(X.shape[1])
    gap, n_iter, handed_over = dual_cd_l2(X, y, c, w, alpha, max_iter, 1e-10)
    assert not handed_over and n_iter == max_iter
    reached = objective(X, y, w[None], 0.0, alpha, 0.0)
    assert reached <= np.log(2) * (1 + 1e-15)
    assert 0.0 <= reached - best <= gap + 1e-13
    with pytest.warns(ConvergenceWarning):
        model = LinearClassifier("l2", alpha=alpha, fit_intercept=False,
                                 max_iter=max_iter).fit(X, y)
    assert objective(X, y, model.coef_, 0.0, alpha, 0.0) <= np.log(2) * (1 + 1e-15)


@pytest.mark.parametrize("curvature", [0.0, 1e-3, 1.0, 1e4])
@pytest.mark.parametrize("margin", [-40.0, -3.0, 0.0, 0.5, 3.0, 40.0])
@pytest.mark.parametrize("q_old, q_old_complement", [
    (0.5, 0.5), (1e-3, 1 - 1e-3), (1 - 1e-3, 1e-3), (1.0, 1e-20), (1e-20, 1.0)])
def test_dual_cd_coordinate_step_solves_its_subproblem(curvature, margin, q_old,
                                                       q_old_complement):
    """One coordinate's maximizer, from any stored pair ``(q, 1 - q)``, even one whose
    complement is below rounding (q + (1 - q) - q == 0): a root of the derivative."""
    from sklreg.solvers._dual_cd_l2 import _coordinate_maximizer

    q, q_complement = _coordinate_maximizer(curvature, margin, q_old, q_old_complement, 1e-12)
    assert 0.0 < q <= 1.0 and 0.0 < q_complement <= 1.0
    assert abs(q + q_complement - 1.0) <= 1e-15
    derivative = np.log(q / q_complement) + margin + curvature * (q - q_old)
    assert abs(derivative) <= 1e-9 * max(1.0, abs(margin), curvature)


def test_dual_cd_convergence_warning_names_it():
    X, y = text_like_data(seed=4)
    with pytest.warns(ConvergenceWarning,
                      match=r"The dual coordinate descent solver .* duality gap of \d"):
        model = LinearClassifier("l2", alpha=1e-3, tol=1e-14, max_iter=1,
                                 fit_intercept=False).fit(X, y)
    assert model.n_iter_ == 1


def test_warm_start_skips_dual_cd(monkeypatch):
    """A warm start goes to L-BFGS, which confirms the previous solution at once."""
    X, y = text_like_data(seed=3)
    runs = spy_on_dual_cd(monkeypatch)
    model = LinearClassifier("l2", alpha=1e-3, tol=1e-10, fit_intercept=False,
                             warm_start=True).fit(X, y)
    coef = model.coef_.copy()
    model.fit(X, y)
    assert len(runs) == 1 and runs[0][1] > 1 and model.n_iter_ <= 1
    # 1e-3-strong convexity: ||w - w*||^2 <= 2 gap / 1e-3 for either solution
    bound = 2 * np.sqrt(2 * 1e-10 * np.log(2) / 1e-3)
    assert np.linalg.norm(model.coef_ - coef) <= bound


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lbfgs_scales_badly_scaled_dense_columns(fit_intercept, monkeypatch):
    """Multinomial L2 on unscaled columns (scales over eight decades) runs L-BFGS with a
    Jacobi-scaled initial Hessian: under a hundred iterations where the identity-scaled one
    takes 700 - 900, to scikit-learn's objective (L-BFGS alone: no Newton takes over)."""
    import sklreg.linear._classifier as classifier_module
    import sklreg.solvers._lbfgs_l2 as lbfgs_module

    monkeypatch.setattr(classifier_module, "newton_fallback_after", lambda *args: None)

    X, y = make_data(3, n_samples=400, n_features=40, seed=5)
    X = X * np.random.RandomState(1).lognormal(0.0, 2.0, size=X.shape[1])
    alpha = 1e-2
    params = dict(alpha=alpha, tol=1e-8, max_iter=5000, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", **params).fit(X, y)
    assert model.n_iter_ <= 150 and model.dual_gap_ <= 1e-8 * np.log(3)
    ref = reference(X, y, alpha, "l2", fit_intercept=fit_intercept)
    ours = objective(X, y, model.coef_, model.intercept_, alpha, 0.0)
    assert ours <= objective(X, y, ref.coef_, ref.intercept_, alpha, 0.0) * (1 + 1e-8)
    with pytest.MonkeyPatch.context() as patch:  # the identity-scaled L-BFGS for contrast
        patch.setattr(lbfgs_module, "JACOBI_SPREAD", np.inf)
        plain = LinearClassifier("l2", **params).fit(X, y)
    assert plain.n_iter_ > 5 * model.n_iter_
    assert abs(objective(X, y, plain.coef_, plain.intercept_, alpha, 0.0) - ours) <= (
        plain.dual_gap_ + model.dual_gap_)



@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_blocks, shape, sparse", [
    (1, (40, 120), False), (1, (40, 120), True), (1, (200, 15), False), (1, (200, 15), True),
    (3, (40, 120), False), (3, (40, 120), True), (3, (200, 15), False)])
def test_exact_newton_converges_quadratically(n_blocks, shape, sparse, fit_intercept):
    """The exact Newton (Woodbury form with fewer samples than features, the Hessian's
    blocks otherwise; intercepts by a Schur complement, singular along the ones for more
    classes) reaches a gap at rounding level in a few steps from zero, where a wrong
    Hessian would converge linearly at best; at L-BFGS's solution."""
    n_classes = max(n_blocks, 2)
    X, y = make_data(n_classes, n_samples=shape[0], n_features=shape[1], seed=2)
    X_fit = sp.csr_matrix(X) if sparse else X
    c = np.random.RandomState(1).uniform(0.2, 3.0, len(y))
    c /= c.sum()
    alpha, gap_tol = 1e-2, 1e-13 * np.log(n_classes)
    W, b = np.zeros((n_blocks, shape[1])), np.zeros(n_blocks)
    gap, n_iter = newton_l2(X_fit, y, c, W, b, fit_intercept, alpha, 100, gap_tol)
    assert gap <= gap_tol and n_iter <= 10
    W_ref, b_ref = np.zeros_like(W), np.zeros_like(b)
    gap_ref, _ = lbfgs_l2(X_fit, y, c, W_ref, b_ref, fit_intercept, alpha, 5000, gap_tol)
    # alpha-strong convexity in the weights: ||W - W*||^2 <= 2 gap / alpha for each
    assert np.linalg.norm(W - W_ref) <= np.sqrt(2 * gap / alpha) + np.sqrt(2 * gap_ref / alpha)
    if fit_intercept and n_blocks > 1:
        assert_allclose(b - b.mean(), b_ref - b_ref.mean(), atol=1e-5)
    elif fit_intercept:
        assert_allclose(b, b_ref, atol=1e-5)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_blocks, sparse", [(1, False), (1, True), (3, False)])
def test_exact_newton_on_the_row_space_multiplies_by_x_a_few_times(
        n_blocks, sparse, fit_intercept, monkeypatch):
    """With fewer samples than features, the exact Newton solves on a design of the row
    space of X (rank x rank systems) and multiplies by X a fixed number of times: its
    steps in the Woodbury form took four products or more each. Duplicate and dependent
    rows (a singular X X^T) and a warm start outside the row space (its component there
    only adds to the penalty) give the optimum of the Woodbury form's steps."""
    n_classes = max(n_blocks, 2)
    X, y = make_data(n_classes, n_samples=40, n_features=300, seed=3)
    X[1], X[2] = X[0], X[3] - 2.0 * X[4]
    X_fit = sp.csr_matrix(X) if sparse else X
    c = np.random.RandomState(1).uniform(0.2, 3.0, len(y))
    c /= c.sum()
    alpha, gap_tol = 1e-2, 1e-12 * np.log(n_classes)
    W_start = np.random.RandomState(2).normal(size=(n_blocks, X.shape[1]))
    products = []
    plain_dot = _newton_l2._dot

    def counted_dot(A, B):
        if X.shape[1] in A.shape + B.shape:  # (the row space's design has 38 columns)
            products.append(A.shape)
        return plain_dot(A, B)

    monkeypatch.setattr(_newton_l2, "_dot", counted_dot)
    W, b = W_start.copy(), np.zeros(n_blocks)
    gap, n_iter = newton_l2(X_fit, y, c, W, b, fit_intercept, alpha, 100, gap_tol)
    assert gap <= gap_tol and 3 <= n_iter <= 25  # from far: 12 - 20 steps in both forms
    assert len(products) <= 5  # predictions, back to X, certificate (predictions, gradient)
    monkeypatch.setattr(_newton_l2, "row_space_pays", lambda X: False)
    W_ref, b_ref = W_start.copy(), np.zeros(n_blocks)
    gap_ref, _ = newton_l2(X_fit, y, c, W_ref, b_ref, fit_intercept, alpha, 100, gap_tol)
    assert gap_ref <= gap_tol
    # alpha-strong convexity in the weights: ||W - W*||^2 <= 2 gap / alpha for each (gaps
    # of 0.0 at the rounding level: a slack for it)
    assert (np.linalg.norm(W - W_ref)
            <= np.sqrt(2 * gap / alpha) + np.sqrt(2 * gap_ref / alpha) + 1e-8)
    if fit_intercept:
        assert_allclose(b - b.mean(), b_ref - b_ref.mean(), atol=1e-8)


def unscaled_data(n_classes, n_samples, n_features):
    """Raw features: column scales and offsets over eight decades (lognormal(0, 2))."""
    X, y = make_classification(n_samples, n_features, n_informative=20, n_classes=n_classes,
                               random_state=0)
    rng = np.random.RandomState(0)
    return X * rng.lognormal(0, 2, n_features) + rng.lognormal(0, 2, n_features), y


@pytest.mark.parametrize("n_classes, shape, fit_intercept, sparse", [
    (2, (150, 1000), True, False), (2, (150, 1000), False, False),
    (3, (150, 1000), True, False), (3, (150, 1000), False, False),
    (4, (2000, 60), False, False), (3, (3000, 100), False, False),
    (4, (2000, 60), False, True), (4, (2000, 60), True, True),
    (3, (3000, 100), False, True)])
def test_l2_on_unscaled_features_converges_within_the_default_max_iter(
        n_classes, shape, fit_intercept, sparse, monkeypatch):
    """On raw features L-BFGS needs hundreds of iterations (p >> n), or fails (more
    samples, four classes, no intercept: a gap of 25 after 1000); the exact Newton takes
    over when its steps are affordable, so the default ``max_iter`` (100 on the CPU)
    converges, to the objective of scikit-learn's Newton solver (or of L-BFGS run to the
    end). Where Newton's steps cost more L-BFGS iterations than ``max_iter`` leaves (three
    classes on 3000 x 100), L-BFGS stops a few short of it and Newton finishes. A sparse
    design with more classes and more samples than features has the fallback too (it had
    none: L-BFGS alone warned, where the same data dense converged)."""
    import sklreg.linear._classifier as classifier_module

    X, y = unscaled_data(n_classes, *shape)
    if sparse:
        X[np.random.RandomState(1).rand(*X.shape) < 0.5] = 0.0
    alpha = 1e-3
    params = dict(alpha=alpha, tol=1e-8, fit_intercept=fit_intercept)
    X_fit = sp.csr_matrix(X) if sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", **params).fit(X_fit, y)
    ours = objective(X, y, model.coef_, model.intercept_, alpha, 0.0)
    monkeypatch.setattr(classifier_module, "newton_fallback_after", lambda *args: None)
    with pytest.warns(ConvergenceWarning):  # L-BFGS alone
        LinearClassifier("l2", **params).fit(X_fit, y)
    if shape[0] > shape[1]:
        ref = LogisticRegression(C=1 / (alpha * len(y)), solver="newton-cholesky", tol=1e-12,
                                 max_iter=1000, fit_intercept=fit_intercept).fit(X, y)
        theirs, their_gap = objective(X, y, ref.coef_, ref.intercept_, alpha, 0.0), 1e-10
    else:
        ref = LinearClassifier("l2", **params, max_iter=20000).fit(X, y)
        theirs = objective(X, y, ref.coef_, ref.intercept_, alpha, 0.0)
        their_gap = ref.dual_gap_
    assert ours - theirs <= model.dual_gap_ + 1e-12
    assert theirs - ours <= their_gap + 1e-12


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_l2_newton_on_the_row_space_takes_over_early(n_classes, fit_intercept):
    """Raw features, 150 x 3000: where the exact Newton runs on the row space of X (no
    products with X in its steps), it takes over from L-BFGS after 10 iterations plus its
    price, not 50 (68 - 73 iterations in all before, about 30 now), at the optimum of
    L-BFGS run to the end."""
    X, y = unscaled_data(n_classes, 150, 3000)
    alpha = 1e-3
    params = dict(alpha=alpha, tol=1e-8, fit_intercept=fit_intercept)
    model = LinearClassifier("l2", **params).fit(X, y)
    assert model.dual_gap_ <= 1e-8 * np.log(n_classes)  # tol times a null objective
    assert model.n_iter_ <= 40
    ref = LinearClassifier("l2", **params, max_iter=20000).fit(X, y)
    ours = objective(X, y, model.coef_, model.intercept_, alpha, 0.0)
    theirs = objective(X, y, ref.coef_, ref.intercept_, alpha, 0.0)
    assert abs(ours - theirs) <= model.dual_gap_ + ref.dual_gap_ + 1e-12


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l2_on_a_sparse_design_without_entries_fits_the_intercepts(n_classes):
    """A sparse design with no stored entry: the price of the Newton fallback in L-BFGS
    iterations divided by zero (ZeroDivisionError out of fit). W = 0 and the intercepts of
    the class frequencies."""
    y = np.arange(31) % n_classes
    model = LinearClassifier("l2", alpha=1e-3).fit(sp.csr_matrix((31, 40)), y)
    assert_array_equal(model.coef_, 0.0)
    log_odds = np.log(np.bincount(y) / len(y))
    expected = log_odds[1:] - log_odds[0] if n_classes == 2 else log_odds - log_odds.mean()
    assert_allclose(model.intercept_, expected, atol=1e-6)


@pytest.mark.parametrize("n_classes, n_samples, n_features", [(3, 300, 10), (5, 500, 50)])
def test_l2_newton_fallback_survives_a_system_indefinite_in_float64(
        n_classes, n_samples, n_features, monkeypatch):
    """Features of size 1e4 and alpha = 1e-8: the multinomial Hessian, singular along the
    classes' mean, plus alpha is indefinite in float64 (Cholesky failed, a LinAlgError out of
    fit, where L-BFGS alone converged). The fit ends at L-BFGS's objective."""
    import sklreg.linear._classifier as classifier_module

    monkeypatch.setattr(classifier_module, "small_l2_problem", lambda *args: False)
    X, y = make_classification(n_samples, n_features, n_informative=5, n_redundant=2,
                               n_classes=n_classes, n_clusters_per_class=1, class_sep=3,
                               random_state=0)
    X *= 1e4
    params = dict(alpha=1e-8, tol=1e-4, max_iter=1000, fit_intercept=n_classes == 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", **params).fit(X, y)
        monkeypatch.setattr(classifier_module, "newton_fallback_after", lambda *args: None)
        ref = LinearClassifier("l2", **params).fit(X, y)  # L-BFGS alone
    ours = objective(X, y, model.coef_, model.intercept_, 1e-8, 0.0)
    theirs = objective(X, y, ref.coef_, ref.intercept_, 1e-8, 0.0)
    assert ours - theirs <= model.dual_gap_ + 1e-12
    assert theirs - ours <= ref.dual_gap_ + 1e-12


@pytest.mark.parametrize("scale, alpha", [(1e4, 1e-8), (1.0, 1e-16), (1e4, 1e-10)])
def test_l2_newton_on_a_system_singular_in_float64_takes_damped_steps(scale, alpha):
    """Where Cholesky fails on the Newton system (alpha below the rounding of the
    curvature), the smallest jitter that lets it factor gives a Levenberg-Marquardt step:
    Newton goes on. Stopping Newton and restarting L-BFGS (its memory lost) took 717
    iterations on the first case, none converged in 1000 on the second; L-BFGS alone, 104
    and 111 without converging on the third."""
    X, y = make_classification(1000, 30, n_informative=5, n_redundant=2, n_classes=3,
                               n_clusters_per_class=1, random_state=0, class_sep=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l2", alpha=alpha, tol=1e-4, fit_intercept=False,
                                 max_iter=1000).fit(X * scale, y)
    assert model.n_iter_ <= 150


@pytest.mark.parametrize("n_classes, scale", [(2, 1e30), (3, 1e100)])
def test_l2_newton_on_a_penalty_far_below_rounding_warns_instead_of_raising(n_classes, scale):
    """alpha = 1e-2 / s^2 on features of size s: the penalty is lost to rounding in the Newton
    system. Cholesky failed (binary, the direct Newton), or the intercepts' Schur complement
    was not finite and its eigendecomposition failed (three classes, after L-BFGS): a
    LinAlgError out of fit. A ConvergenceWarning says that the fit stopped short."""
    X, y = make_classification(40, 100, n_informative=5, n_redundant=0, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model = LinearClassifier("l2", alpha=1e-2 / scale**2, tol=1e-10).fit(X * scale, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()


@pytest.mark.parametrize("n_classes, shape, scale", [
    (2, (2000, 30), 1e3), (3, (2000, 30), 1e3),  # L-BFGS
    (2, (100, 200), 1e5),  # the exact Newton
])
def test_smooth_solvers_with_intercept_ignore_feature_offsets(n_classes, shape, scale):
    """L-BFGS profiles the intercepts out, and the exact Newton runs on centered features:
    on features far from the origin their iterations are those on centered features. The
    same weights and objective, and about as many iterations."""
    X, y = make_data(n_classes, n_samples=shape[0], n_features=shape[1], seed=3)
    X -= X.mean(axis=0)
    offsets = np.random.RandomState(0).uniform(-scale, scale, X.shape[1])
    params = dict(alpha=1e-3, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        centered = LinearClassifier("l2", **params).fit(X, y)
        shifted = LinearClassifier("l2", **params).fit(X + offsets, y)
    # the same problem: alpha-strong convexity, ||W - W*||^2 <= 2 gap / alpha for each
    distance = np.linalg.norm(shifted.coef_ - centered.coef_)
    assert distance <= sum(np.sqrt(2 * m.dual_gap_ / 1e-3) for m in (shifted, centered))
    ours = objective(X + offsets, y, shifted.coef_, shifted.intercept_, 1e-3, 0.0)
    theirs = objective(X, y, centered.coef_, centered.intercept_, 1e-3, 0.0)
    assert abs(ours - theirs) <= shifted.dual_gap_ + centered.dual_gap_ + 1e-14
    assert shifted.n_iter_ <= centered.n_iter_ + 3

@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("scale", [1e-100, 1e-3, 1e6, 1e100])
def test_l2_solution_follows_the_feature_scale(n_classes, scale):
    """Features multiplied by ``s`` with ``alpha s^2``: the same model, weights divided by
    ``s``. The smooth solvers' first step is sized by the curvature along it, so features of
    size 1e6 converge too (a unit gradient step was beyond the line search's halvings), and
    the direction is normalized before that curvature is taken: its square overflowed at
    1e100 (and underflowed to zero at 1e-100), which left an all-zero model."""
    X, y = make_data(n_classes, n_samples=300, n_features=150, seed=6)
    params = dict(tol=1e-10, max_iter=1000, fit_intercept=n_classes == 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        base = LinearClassifier("l2", alpha=1e-2, **params).fit(X, y)
        scaled = LinearClassifier("l2", alpha=1e-2 * scale**2, **params).fit(X * scale, y)
    assert_allclose(scaled.coef_ * scale, base.coef_, rtol=1e-4, atol=1e-4)
    assert_allclose(scaled.intercept_, base.intercept_, atol=1e-4)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_penalty_matches_unpenalized_logistic_regression(n_classes):
    X, y = make_data(n_classes, n_samples=300, n_features=6)  # not separable (flip_y)
    model = LinearClassifier(None, tol=1e-12).fit(X, y)
    ref = reference(X, y, 0.0, None)
    assert np.isnan(model.dual_gap_)
    ours = objective(X, y, model.coef_, model.intercept_, 0.0, 0.0)
    theirs = objective(X, y, ref.coef_, ref.intercept_, 0.0, 0.0)
    assert abs(ours - theirs) <= 1e-8 * theirs
    # alpha=0 with a named penalty is the same problem
    zero = LinearClassifier("l1", alpha=0.0, tol=1e-12).fit(X, y)
    assert_allclose(zero.predict_proba(X), model.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_array])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_no_penalty_puts_zero_on_a_constant_column(n_classes, dtype, container):
    """With an intercept, a constant column is not identifiable: its coefficient is 0 (the
    intercept takes its part) and the rest matches LogisticRegression. Centering by the
    weighted mean must leave the column exactly zero, or its rounding residue, of
    curvature ~1e-32, takes an unpenalized step of ~1e15 (sparse X did, the dense one
    did not). A column constant over the samples of positive weight only is the same."""
    X, y = make_data(n_classes, n_samples=300, n_features=6)
    X = np.c_[X, np.full(len(y), 0.7)].astype(dtype)
    X[0, -1] = 5.0  # a sample of zero weight
    sample_weight = np.ones(len(y))
    sample_weight[0] = 0.0
    X64 = X.astype(np.float64)
    ref = reference(X64[1:], y[1:], 0.0, None)
    for penalty in [None, "l2"]:  # alpha=0 with a named penalty is the same problem
        model = LinearClassifier(penalty, alpha=0.0, tol=1e-12).fit(container(X), y,
                                                                    sample_weight)
        assert_array_equal(model.coef_[:, -1], 0.0)
        ours = objective(X64[1:], y[1:], model.coef_, model.intercept_, 0.0, 0.0)
        theirs = objective(X64[1:], y[1:], ref.coef_, ref.intercept_, 0.0, 0.0)
        assert abs(ours - theirs) <= 1e-8 * theirs
        assert_allclose(model.predict_proba(X64[1:]), ref.predict_proba(X64[1:]), atol=1e-6)
        coef, ref_coef = model.coef_[:, :-1], ref.coef_[:, :-1]
        if n_classes > 2:  # unpenalized softmax weights are defined up to a common row
            coef, ref_coef = coef - coef.mean(axis=0), ref_coef - ref_coef.mean(axis=0)
        assert_allclose(coef, ref_coef, atol=1e-5)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_sample_and_class_weights_match_logistic_regression(n_classes, penalty):
    X, y = make_data(n_classes, seed=1)
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0.2, 3.0, len(y))
    alpha = 0.01
    # weights kept <= 1 in the dict: saga's step size ignores them and diverges otherwise
    for class_weight in [None, "balanced", {c: 1.0 / (1 + c) for c in range(n_classes)}]:
        model = LinearClassifier(penalty, alpha=alpha, l1_ratio=0.5, tol=1e-12,
                                 class_weight=class_weight).fit(X, y, sample_weight)
        ref = reference(X, y, alpha, penalty, sample_weight, class_weight=class_weight)
        effective = sample_weight.copy()
        if class_weight is not None:
            effective *= compute_class_weight(class_weight, classes=np.unique(y), y=y,
                                              sample_weight=sample_weight)[y]
        # multinomial L1 solutions are not unique: any shift of a weight column across
        # classes within the median interval of its values keeps the objective
        coef_atol = None if (penalty == "l1" and n_classes > 2) else 1e-4
        assert_matches_reference(model, ref, X, y, alpha, penalty, sample_weight,
                                 effective_weight=effective, coef_atol=coef_atol)


def test_balanced_weights_with_a_class_of_zero_weight():
    X, y = make_data(3, n_samples=90)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    sample_weight[y == 2] = 0.0
    balanced = LinearClassifier("l2", alpha=0.01, tol=1e-12, class_weight="balanced").fit(
        X, y, sample_weight)
    class_totals = np.bincount(y, weights=sample_weight)
    inverse = {0: 1.0 / class_totals[0], 1: 1.0 / class_totals[1], 2: 1.0}
    explicit = LinearClassifier("l2", alpha=0.01, tol=1e-12, class_weight=inverse).fit(
        X, y, sample_weight)
    assert np.all(np.isfinite(balanced.coef_))
    # both solve the problem of the two other classes
    assert_allclose(balanced.coef_, explicit.coef_, atol=1e-5)
    assert_allclose(balanced.predict_proba(X), explicit.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [3, 4])
def test_a_class_of_zero_weight_is_solved_without_it(n_classes, penalty, container):
    """With an intercept, a class of zero total weight has no minimizer (its intercept runs
    to -inf): the infimum is the problem of the other classes, with a zero weight row for
    it. Solvers chasing that intercept stalled at gaps of 2.5e3 (L-BFGS then Newton, L2)
    and 1.6e4 (proximal Newton, L1). The fit matches the problem without the class: for
    two classes left, the binary problem with the L2 strength halved (a softmax pair
    ``(-w / 2, w / 2)``), for three the multinomial one; the gap bounds the suboptimality
    and the class gets no probability on the training samples."""
    X, y = make_data(n_classes, n_samples=90, seed=1)
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    class_weight = dict.fromkeys(range(n_classes), 1.0)
    class_weight[1] = 0.0
    alpha, l1_ratio = 1e-3, L1_RATIO[penalty]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier(penalty, alpha=alpha, l1_ratio=0.5, tol=1e-12,
                                 class_weight=class_weight).fit(container(X), y, sample_weight)
    keep = y != 1
    reduced_alpha, reduced_ratio = alpha, l1_ratio
    if n_classes == 3:  # binary: alpha * l1_ratio and alpha * (1 - l1_ratio) / 2
        l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio) / 2.0
        reduced_alpha, reduced_ratio = l1 + l2, l1 / (l1 + l2)
    reduced = LinearClassifier("elasticnet", alpha=reduced_alpha, l1_ratio=reduced_ratio,
                               tol=1e-13).fit(X[keep], y[keep], sample_weight[keep])
    ours = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio,
                     sample_weight * keep)
    infimum = objective(X[keep], y[keep], reduced.coef_, reduced.intercept_, reduced_alpha,
                        reduced_ratio, sample_weight[keep])
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert_array_equal(model.coef_[1], 0.0)
    assert abs(ours - infimum) <= 1e-9 * infimum
    assert ours - infimum <= model.dual_gap_ + 1e-13
    proba = model.predict_proba(X)
    assert proba[:, 1].max() <= 1e-15
    assert_allclose(proba[:, [k for k in range(n_classes) if k != 1]],
                    reduced.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("zeroed_by", ["sample_weight", "class_weight"])
def test_one_class_of_positive_weight_is_fitted_in_closed_form(zeroed_by, n_classes,
                                                              penalty, container):
    """With intercepts and a single class of positive weight, the loss has the infimum 0
    at ``W = 0`` and an intercept running to infinity: the target ``tol * P_null`` is 0.
    The fit raised a ValueError (``LogisticRegression`` fits and predicts that class), and
    the solvers it reached in cross-validation folds chased the intercept (Newton warned
    after max_iter=100 of a gap of 4.9e-324 above a target of -0). It is now the closed
    form: zero weights, the absent classes at probability ``2**-104`` at most, no
    iterations, the loss of that cap as the certified gap."""
    X, y = make_data(n_classes, n_samples=60, n_features=5)
    present = 1
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    if zeroed_by == "sample_weight":
        sample_weight, class_weight = weights * (y == present), None
    else:
        sample_weight = weights
        class_weight = {k: float(k == present) for k in range(n_classes)}
    alpha = 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearClassifier(penalty, alpha=alpha, l1_ratio=0.5, class_weight=class_weight,
                                 tol=0.0).fit(container(X), y, sample_weight)
    assert model.n_iter_ == 0
    assert_array_equal(model.coef_, 0.0)
    assert np.isfinite(model.intercept_).all()
    far = 100.0 * np.random.RandomState(1).standard_normal((20, X.shape[1]))
    assert_array_equal(model.predict(X), present)
    assert_array_equal(model.predict(far), present)
    reference = LogisticRegression().fit(X, y, weights * (y == present))
    assert_array_equal(reference.predict(X), present)  # as scikit-learn predicts
    absent = np.delete(model.predict_log_proba(X), present, axis=1)
    assert np.all(np.isfinite(absent)) and np.all(absent <= -104.0 * np.log(2.0))
    if penalty is None:
        assert np.isnan(model.dual_gap_)
    else:  # the infimum is 0: the gap bounds the objective, the same loss on every sample
        # with W = 0 (a log-sum-exp rounds it to 0)
        scores = model.intercept_ if n_classes > 2 else np.array([0.0, model.intercept_[0]])
        ours = np.log1p(np.exp(np.delete(scores, present) - scores[present]).sum())
        assert 0.0 < ours <= model.dual_gap_ * (1.0 + 1e-12)
        assert model.dual_gap_ <= n_classes * 2.0**-104


@pytest.mark.parametrize("estimator", [LinearClassifier(), LinearClassifierCV(cv=3, alphas=3)])
@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf])
def test_invalid_class_weight_values_raise(estimator, weight):
    """A negative or non-finite class weight was zeroed (NaN, inf) or kept (negative, a
    nonconvex problem left unsolved) silently."""
    X, y = make_data(3, n_samples=60)
    with pytest.raises(ValueError, match="class_weight must map classes to finite "
                                         "non-negative weights, got .* for class 1"):
        estimator.set_params(class_weight={0: 1.0, 1: weight}).fit(X, y)


def test_huge_class_weights_are_a_common_factor():
    """Class weights whose weighted sum overflows are scaled down as sample weights are
    (they gave an infinite sum, hence zero weights and a zero model)."""
    X, y = make_data(3, n_samples=60)
    model = LinearClassifier(alpha=0.01, tol=1e-10).fit(X, y)
    huge = LinearClassifier(alpha=0.01, tol=1e-10,
                            class_weight={0: 1e308, 1: 1e308, 2: 1e308}).fit(X, y)
    assert_allclose(huge.coef_, model.coef_, rtol=1e-7)
    assert_allclose(huge.intercept_, model.intercept_, rtol=1e-7, atol=1e-10)


def test_integer_weights_are_repetitions():
    X, y = make_data(3, n_samples=60)
    weights = np.random.RandomState(0).randint(0, 4, len(y))
    weights[:3] = 1
    # a gap of tol (relative to about 1) puts the weights within sqrt(2 tol / l2) of the
    # optimum (strong convexity): 1e-12 allows 1.5e-5, 1e-15 allows 5e-7
    model = LinearClassifier("elasticnet", alpha=0.01, tol=1e-15).fit(X, y, weights)
    repeated = LinearClassifier("elasticnet", alpha=0.01, tol=1e-15).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights))
    assert_allclose(model.coef_, repeated.coef_, atol=1e-7)
    assert_allclose(model.intercept_, repeated.intercept_, atol=1e-7)


@pytest.mark.parametrize("layout", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_sparse_and_float32_match_dense(n_classes, dtype, layout):
    X, y = make_data(n_classes)
    X[np.abs(X) < 0.8] = 0.0  # sparse, and not centered
    kwargs = {"penalty": "elasticnet", "alpha": 0.01, "l1_ratio": 0.7, "tol": 1e-12}
    dense = LinearClassifier(**kwargs).fit(X, y)
    Xs = sp.csr_matrix(X.astype(dtype)) if layout == "csr" else sp.csc_matrix(X.astype(dtype))
    for data in [Xs, X.astype(dtype)]:
        model = LinearClassifier(**kwargs).fit(data, y)
        assert model.coef_.dtype == model.intercept_.dtype == dtype  # as LogisticRegression
        atol = 1e-5 if dtype == np.float64 else 1e-4  # float32 rounds the data
        assert_allclose(model.coef_, dense.coef_, atol=atol)
        assert_allclose(model.intercept_, dense.intercept_, atol=atol)
        assert_allclose(model.predict_proba(data), dense.predict_proba(X), atol=atol)



def test_gathered_columns_equal_the_csc_conversion():
    rng = np.random.default_rng(0)
    dense = sp.random(30, 50, density=0.2, random_state=rng, format="csr")
    # each row's entries in reverse column order, and its first entry stored twice
    data, indices, indptr = [], [], [0]
    for i in range(30):
        row = dense[[i]]
        cols, vals = row.indices[::-1], row.data[::-1]
        if cols.size:
            cols, vals = np.r_[cols, cols[:1]], np.r_[vals, 0.5 * vals[:1]]
        data.append(vals)
        indices.append(cols)
        indptr.append(indptr[-1] + cols.size)
    X = sp.csr_matrix((np.concatenate(data), np.concatenate(indices).astype(np.int32),
                       np.array(indptr)), shape=(30, 50))
    assert not X.has_canonical_format
    _, data, indices, indptr, _ = kernel_arrays(X)
    col_data, col_indices, col_indptr = csc_layout_of_csr(data, indices, indptr, 50)
    expected = X.tocsc()
    assert_array_equal(col_indptr, expected.indptr)
    gathered = np.zeros(50, dtype=bool)
    for chunk in (np.array([3, 17]), np.array([0, 5, 49]), np.arange(50)):
        selected = np.zeros(50, dtype=bool)
        selected[chunk] = ~gathered[chunk]
        gather_columns(data, indices, indptr, selected, col_data, col_indices, col_indptr)
        gathered |= selected
        for j in np.flatnonzero(gathered):
            start, end = col_indptr[j], col_indptr[j + 1]
            rows = np.asarray(col_indices[start:end])
            assert np.all(np.diff(rows) >= 0)
            column = np.zeros(30)
            np.add.at(column, rows, col_data[start:end])
            assert_allclose(column, X[:, [j]].toarray().ravel())


@pytest.mark.parametrize("n_blocks", [1, 3])
def test_products_by_rows_equal_dense_products(n_blocks):
    rng = np.random.default_rng(0)
    X = sp.random(25, 40, density=0.3, random_state=rng, format="csr")
    X.indices = X.indices.astype(np.int64)
    W = rng.standard_normal((n_blocks, 40))
    b = rng.standard_normal(n_blocks)
    R = rng.standard_normal((n_blocks, 25))
    R[:, 3] = 0.0
    dense = X.toarray()
    assert_allclose(row_predictions(X.data, X.indices, X.indptr, W, b), W @ dense.T + b[:, None])
    G = np.full((n_blocks, 40), np.nan)
    row_gradient(X.data, X.indices, X.indptr, R, G)
    assert_allclose(G, R @ dense)


def test_intercept_newton_stops_once_the_next_step_is_below_rounding():
    """Newton's error after a step is of the order of its square: a step of at most
    ``CONVERGED_INTERCEPT_STEP`` (relative to ``|b|``) ends the iterations, a larger one
    does not. (The gradient's rounding over 20000 samples, about 4e-14, is above the
    ``1e-15 |b|`` of an earlier rule that then never stopped.)"""
    for intercept, step, done in [(0.02, 4e-14, True), (0.02, 4e-9, True),
                                  (0.02, 4e-8, False), (-30.0, 2e-7, True),
                                  (-30.0, 4e-7, False)]:
        taken, stops = intercept_newton_step(np.array([-step / 4]), np.array([[0.25]]),
                                             np.array([intercept]))
        assert_allclose(taken, [step])
        assert stops == done


@pytest.mark.parametrize("n_blocks", [1, 3])
def test_optimize_intercepts_zeroes_the_gradient_sums(n_blocks):
    rng = np.random.default_rng(0)
    n_samples = 50_000
    labels = rng.integers(max(n_blocks, 2), size=n_samples)
    c = rng.uniform(0.5, 1.5, n_samples)
    c /= c.sum()
    Z = rng.standard_normal((n_blocks, n_samples))
    b = np.zeros(n_blocks)
    for shift in (0.0, 1e-4):  # then from near the optimum, where the last step matters
        Z[0] += shift
        Z_before, b_before = Z.copy(), b.copy()
        updated = classification_probabilities(Z, n_blocks > 1)
        optimize_intercepts(Z, b, labels, c, updated)
        assert_allclose(Z, Z_before + (b - b_before)[:, None], atol=1e-12)
        if n_blocks == 1:
            P = 1.0 / (1.0 + np.exp(-Z))
            sums = [c @ (P[0] - labels)]
        else:
            P = np.exp(Z - logsumexp(Z, axis=0))
            sums = [c @ (P[k] - (labels == k)) for k in range(n_blocks)]
        assert_allclose(sums, 0.0, atol=1e-13)
        assert_allclose(updated, P, rtol=1e-14)  # the probabilities at the final Z


def test_optimize_intercepts_balances_saturated_binary_margins():
    """Every margin beyond 37 (``p`` rounds to 1 for the positives): the optimal intercept
    balances the nearest negatives against the nearest positives, here at zero. With
    ``1 - p`` as a difference the positives counted for nothing and the damped Newton
    pulled the intercept down by a unit every step."""
    labels = np.array([0, 0, 1, 1])
    c = np.full(4, 0.25)
    Z = np.array([[-40.0, -45.0, 40.0, 45.0]])
    b = np.zeros(1)
    optimize_intercepts(Z, b, labels, c, classification_probabilities(Z, False))
    assert_allclose(b, [0.0], atol=1e-6)
    assert_allclose(Z, [[-40.0, -45.0, 40.0, 45.0]], atol=1e-6)


def test_unpenalized_fit_on_separable_binary_data_keeps_separating():
    """tol=0 on separable data runs to max_iter with margins far beyond 37: the training
    objective keeps decreasing toward zero (it was 18, worse than the null model's
    log 2, with a tenth of the samples misclassified)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 5))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning):
        model = LinearClassifier(penalty=None, tol=0.0, max_iter=100).fit(X, y)
    assert objective(X, y, model.coef_, model.intercept_, 0.0, 0.0) < 1e-15
    assert model.score(X, y) == 1.0


def _newton_model(n_blocks, sparse, seed=0):
    """A proximal Newton quadratic model at a random point: the design's kernel arrays and
    working set, ``W``, ``R``, curvature, ``P`` and ``c`` as :func:`_newton_step` forms them,
    and ``changes(delta, delta_b) -> (D, u)``."""
    rng = np.random.default_rng(seed)
    n_samples, n_features = 40, 9
    X = rng.standard_normal((n_samples, n_features))
    X = sp.csc_matrix(X * (rng.random(X.shape) < 0.5)) if sparse else np.asfortranarray(X)
    labels = rng.integers(n_blocks if n_blocks > 1 else 2, size=n_samples)
    c = rng.random(n_samples)
    c /= c.sum()
    Z = rng.standard_normal((n_blocks, n_samples))
    if n_blocks > 1:
        P = np.exp(Z - Z.max(axis=0))
        P /= P.sum(axis=0)
        R = c * (P - (labels == np.arange(n_blocks)[:, None]))
        curvature = c * P
    else:
        P = 1.0 / (1.0 + np.exp(-Z))
        R = c * (P - labels)
        curvature = c * P * (1.0 - P)
    working_set = np.array([0, 2, 3, 5, 8])
    W = rng.standard_normal((n_blocks, n_features)) * (rng.random((n_blocks, n_features)) < 0.6)
    X_ws = (X[:, working_set].toarray() if sparse else X[:, working_set])

    def changes(delta, delta_b):
        D = delta @ X_ws.T + delta_b[:, None]
        u = (P * D).sum(axis=0) if n_blocks > 1 else np.zeros(n_samples)
        return D, u

    return kernel_arrays(X), working_set, W, R, curvature, P, c, changes


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_blocks", [1, 3])
def test_anderson_model_step_lowers_the_model_and_keeps_its_predictions(n_blocks, sparse):
    arrays, working_set, W, R, curvature, P, c, changes = _newton_model(n_blocks, sparse)
    multinomial = n_blocks > 1
    rng = np.random.default_rng(1)
    n_ws = working_set.size
    l1, l2 = 0.01, 0.005

    def value(delta, delta_b):
        D, u = changes(delta, delta_b)
        return _model_value(W, working_set, R, curvature, c, D, u, delta, l1, l2, multinomial)

    # iterates approaching a point along two modes, with a moving intercept: taken or not,
    # the step never raises the model, and leaves D and u those of delta
    for _ in range(20):
        limit = rng.standard_normal((n_blocks, n_ws)) * 0.1
        direction = rng.standard_normal((n_blocks, n_ws))
        rates = rng.uniform(0.3, 0.95, size=2)
        history = np.array([np.r_[(limit + rates[0] ** t * direction
                                   + rates[1] ** t * direction[::-1, ::-1]).ravel(),
                                  np.full(n_blocks, 0.01 * rates[0] ** t)]
                            for t in range(6)])
        delta = history[-1, :n_blocks * n_ws].reshape(n_blocks, n_ws).copy()
        delta_b = history[-1, n_blocks * n_ws:].copy()
        D, u = changes(delta, delta_b)
        before = value(delta, delta_b)
        _anderson_model_step(*arrays, W, working_set, R, curvature, P, c, D, u, delta,
                             delta_b, history, l1, l2, multinomial)
        assert value(delta, delta_b) <= before + 1e-15
        expected_D, expected_u = changes(delta, delta_b)
        assert_allclose(D, expected_D, atol=1e-12)
        assert_allclose(u, expected_u, atol=1e-12)


@pytest.mark.parametrize("n_blocks", [1, 3])
def test_anderson_model_step_reaches_the_limit_of_a_linear_sequence(n_blocks):
    # without an L1 part the model is quadratic: coordinate descent's iterates converge to
    # its minimizer at a linear rate, and Anderson extrapolation of a one-mode sequence
    # towards it returns the minimizer itself
    arrays, working_set, W, R, curvature, P, c, changes = _newton_model(n_blocks, False)
    multinomial = n_blocks > 1
    n_ws, l2 = working_set.size, 0.05
    size = n_blocks * n_ws

    def value(flat):
        delta = flat.reshape(n_blocks, n_ws)
        D, u = changes(delta, np.zeros(n_blocks))
        return _model_value(W, working_set, R, curvature, c, D, u, delta, 0.0, l2, multinomial)

    basis = np.eye(size)
    m0 = value(np.zeros(size))
    singles = np.array([value(e) for e in basis])
    hessian = np.array([[value(basis[i] + basis[j]) - singles[i] - singles[j] + m0
                         for j in range(size)] for i in range(size)])
    gradient = singles - m0 - 0.5 * np.diag(hessian)
    minimizer = -np.linalg.solve(hessian, gradient)
    direction = np.random.default_rng(2).standard_normal(size)
    history = np.array([np.r_[minimizer + 0.6**t * direction, np.zeros(n_blocks)]
                        for t in range(6)])
    delta = history[-1, :size].reshape(n_blocks, n_ws).copy()
    delta_b = np.zeros(n_blocks)
    D, u = changes(delta, delta_b)
    _anderson_model_step(*arrays, W, working_set, R, curvature, P, c, D, u, delta, delta_b,
                         history, 0.0, l2, multinomial)
    assert_allclose(delta.ravel(), minimizer, rtol=1e-6, atol=1e-9)
    assert_allclose(D, changes(delta, delta_b)[0], atol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_csr_fit_by_rows_equals_csc_fit(n_classes):
    """Working sets that grow over several outer iterations gather their columns from the
    rows of a CSR design; the solution is that of the CSC design, and the CV path (whose
    later solves use one conversion to CSC) agrees too."""
    X, y = make_data(n_classes, n_samples=80, n_features=300, seed=1)
    X[np.abs(X - 0.5) < 1.0] = 0.0
    Xr = sp.csr_matrix(X)
    Xr.data.flags.writeable = False  # a read-only design (memory map) goes by rows as well
    for penalty, alpha in (("l1", 0.005), ("elasticnet", 0.005)):
        by_columns = LinearClassifier(penalty, alpha=alpha, tol=1e-10).fit(sp.csc_matrix(X), y)
        by_rows = LinearClassifier(penalty, alpha=alpha, tol=1e-10).fit(Xr, y)
        assert 20 < np.count_nonzero(by_rows.coef_) < by_rows.coef_.size
        assert_allclose(by_rows.coef_, by_columns.coef_, atol=1e-6)
        assert_allclose(by_rows.intercept_, by_columns.intercept_, atol=1e-6)
    cv_rows = LinearClassifierCV("l1", alphas=[0.05, 0.01, 0.005], cv=3, tol=1e-10).fit(Xr, y)
    cv_columns = LinearClassifierCV("l1", alphas=[0.05, 0.01, 0.005], cv=3, tol=1e-10).fit(
        sp.csc_matrix(X), y)
    assert_allclose(cv_rows.scores_, cv_columns.scores_)
    assert cv_rows.alpha_ == cv_columns.alpha_

def gradient(X, y, coef, intercept, sample_weight=None):
    """Gradient of the datafit in (coef, intercept), in NumPy."""
    classes, labels = np.unique(y, return_inverse=True)
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    Z = np.asarray(X @ coef.T) + intercept
    if Z.shape[1] == 1:
        residual = (1.0 / (1.0 + np.exp(-Z[:, 0])) - (labels == 1))[:, None]
    else:
        P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        residual = P - (labels[:, None] == np.arange(len(classes)))
    residual *= (sw / sw.sum())[:, None]
    return residual.T @ X, residual.sum(axis=0)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_kkt_conditions(n_classes, penalty):
    X, y = make_data(n_classes, n_samples=150, n_features=40, seed=3)
    alpha, l1_ratio = 0.02, L1_RATIO[penalty]
    model = LinearClassifier(penalty, alpha=alpha, l1_ratio=0.5, tol=1e-13).fit(X, y)
    grad, grad_b = gradient(X, y, model.coef_, model.intercept_)
    grad += alpha * (1 - l1_ratio) * model.coef_
    lam = alpha * l1_ratio
    nonzero = model.coef_ != 0
    assert_allclose(grad[nonzero], -lam * np.sign(model.coef_[nonzero]), atol=1e-6)
    assert np.all(np.abs(grad[~nonzero]) <= lam + 1e-6)
    assert_allclose(grad_b, 0.0, atol=1e-10)
    if penalty != "l2":
        assert 0 < nonzero.sum() < nonzero.size  # exact zeros, not tiny values


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l1_exact_zeros_above_alpha_max(n_classes):
    X, y = make_data(n_classes)
    null = LinearClassifier("l1", alpha=1e3).fit(X, y)
    grad, _ = gradient(X, y, np.zeros_like(null.coef_), null.intercept_)
    alpha_max = np.abs(grad).max()
    model = LinearClassifier("l1", alpha=alpha_max * 1.001, tol=1e-10).fit(X, y)
    assert_array_equal(model.coef_, 0.0)
    model = LinearClassifier("l1", alpha=alpha_max * 0.9, tol=1e-10).fit(X, y)
    assert np.count_nonzero(model.coef_) > 0


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_l1_converges_on_rank_deficient_design(n_classes, fit_intercept):
    """More active features than the rank: the Newton models are flat along the null space.

    Coordinate descent then crawls along that space towards the next zero of the weights,
    by the same amount per Newton step (the binary case without intercept took ~500 steps
    before the extrapolation along the step's displacement).
    """
    rng = np.random.RandomState(1)
    X = rng.randn(60, 10) @ rng.randn(10, 120)  # rank 10
    score = X[:, :3].sum(axis=1) + rng.randn(60)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    alpha = 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l1", alpha=alpha, tol=1e-8, max_iter=60,
                                 fit_intercept=fit_intercept).fit(X, y)
    p_null = np.log(n_classes) if not fit_intercept else -sum(
        f * np.log(f) for f in np.bincount(y) / len(y))
    assert model.dual_gap_ <= 1e-8 * p_null
    grad, grad_b = gradient(X, y, model.coef_, model.intercept_)
    nonzero = model.coef_ != 0
    assert_allclose(grad[nonzero], -alpha * np.sign(model.coef_[nonzero]), atol=1e-5)
    assert np.all(np.abs(grad[~nonzero]) <= alpha + 1e-5)
    if fit_intercept:
        assert_allclose(grad_b, 0.0, atol=1e-10)
    assert 0 < nonzero.sum() < nonzero.size


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize(("n_classes", "fit_intercept"), [(2, False), (2, True), (3, False)])
def test_l1_converges_on_equicorrelated_columns(n_classes, fit_intercept, penalty):
    """Columns of pairwise correlation 0.8, all of them active: cyclic coordinate descent
    on the Newton models crawls there.

    Before the inner tolerance tightened after one-epoch models and the order turned
    random after models that used every epoch, these fits ran their 1000 Newton steps
    (the binary one without intercept stopped at a relative gap of 1e-4).
    """
    rng = np.random.RandomState(0)
    n_samples, n_features = 1000, 100
    X = 0.9 * rng.randn(n_samples, 1) + 0.45 * rng.randn(n_samples, n_features) + 3.0
    score = X[:, :10] @ rng.randn(10) + rng.randn(n_samples)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    alpha, l1_ratio = 1e-4, L1_RATIO[penalty]
    fit = partial(LinearClassifier, penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-10,
                  max_iter=100, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = fit().fit(X, y)
    assert_array_equal(fit().fit(X, y).coef_, model.coef_)  # the random orders are seeded
    grad, grad_b = gradient(X, y, model.coef_, model.intercept_)
    grad += alpha * (1 - l1_ratio) * model.coef_
    lam = alpha * l1_ratio
    nonzero = model.coef_ != 0
    assert nonzero.sum() > 0.5 * nonzero.size
    assert_allclose(grad[nonzero], -lam * np.sign(model.coef_[nonzero]), atol=1e-7)
    assert np.all(np.abs(grad[~nonzero]) <= lam + 1e-7)
    if fit_intercept:
        assert_allclose(grad_b, 0.0, atol=1e-10)


def near_duplicate_columns(n_samples=300, n_features=30, seed=0):
    """Binary data whose columns come in pairs of correlation 1 - 1e-12 (the odd column is
    the even one plus noise of size 1e-6), with L1 ``alpha`` at a tenth of ``alpha_max``.

    Along each pair's difference the L1 norm is constant and the loss nearly flat: the
    minimizer lies at a kink, one column of the pair at zero."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_samples, n_features)
    X[:, 1::2] = X[:, ::2] + 1e-6 * rng.randn(n_samples, n_features // 2)
    coef = np.zeros(n_features)
    coef[:16] = rng.randn(16)
    y = (X @ coef + 0.5 * rng.randn(n_samples) > 0).astype(int)
    return X, y


def near_duplicate_alpha(X, y, fit_intercept):
    residual = y - (y.mean() if fit_intercept else 0.5)
    return np.abs(X.T @ residual).max() / len(y) / 10


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l1_converges_on_near_duplicate_columns(fit_intercept, container):
    """Columns in near-duplicate pairs: a tight tol is reached in a few Newton steps.

    Coordinate descent on the Newton models crawled along the pairs' flat directions
    (every model used all its epochs): the relative gap stalled between 1e-8 and 1e-7 and
    the fits ran their 100 steps. Newton steps on the models' support fixed it.
    """
    X, y = near_duplicate_columns()
    alpha = near_duplicate_alpha(X, y, fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l1", alpha=alpha, tol=1e-10, max_iter=100,
                                 fit_intercept=fit_intercept).fit(container(X), y)
    freq = y.mean()
    p_null = (-(freq * np.log(freq) + (1 - freq) * np.log(1 - freq)) if fit_intercept
              else np.log(2))
    assert model.dual_gap_ <= 1e-10 * p_null
    assert model.n_iter_ < 30


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l1_on_near_duplicate_columns_matches_logistic_regression(fit_intercept):
    """The solution keeps at most one column of each pair, matches LogisticRegression
    (saga, which converges fast once the twins are gone) on the columns it keeps, and
    satisfies the optimality conditions on all the others: it is the optimum."""
    X, y = near_duplicate_columns()
    alpha = near_duplicate_alpha(X, y, fit_intercept)
    model = LinearClassifier("l1", alpha=alpha, tol=1e-12, max_iter=100,
                             fit_intercept=fit_intercept).fit(X, y)
    nonzero = model.coef_[0] != 0
    assert not np.any(nonzero[::2] & nonzero[1::2])
    support = np.flatnonzero(nonzero)
    ref = reference(X[:, support], y, alpha, "l1", fit_intercept=fit_intercept)
    ours = objective(X, y, model.coef_, model.intercept_, alpha, 1.0)
    theirs = objective(X[:, support], y, ref.coef_, ref.intercept_, alpha, 1.0)
    assert abs(ours - theirs) <= 1e-8 * theirs
    assert ours - theirs <= model.dual_gap_ + 1e-13  # theirs >= the optimum
    grad, grad_b = gradient(X, y, model.coef_, model.intercept_)
    assert np.all(np.abs(grad[0, ~nonzero]) <= alpha * (1 + 1e-8))
    assert_allclose(grad[0, nonzero], -alpha * np.sign(model.coef_[0, nonzero]),
                    rtol=1e-8)
    if fit_intercept:
        assert_allclose(grad_b, 0.0, atol=1e-12)


@pytest.mark.parametrize("container", [np.asarray, sp.csc_matrix])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weakly_penalized_l1_multinomial_converges_in_a_few_newton_steps(fit_intercept,
                                                                          container):
    """Three classes, one of them a single sample, and a weak L1 penalty: the Newton models
    are ill-conditioned, and coordinate descent used all its epochs on each of them (165
    Newton steps to a gap of 1e-6, 394 to 1e-10). Newton steps on the models' support
    reach 1e-10 in about 16, at the optimum (optimality conditions)."""
    X, y = make_data(3, 90, seed=1)
    keep = np.argsort(y, kind="stable")[30:]  # the last sample of class 0 and all others
    X, y = X[keep], y[keep]
    alpha = 2.4e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l1", alpha=alpha, tol=1e-10, max_iter=100,
                                 fit_intercept=fit_intercept).fit(container(X), y)
    assert model.n_iter_ < 40
    grad, grad_b = gradient(X, y, model.coef_, model.intercept_)
    nonzero = model.coef_ != 0
    assert 0 < nonzero.sum() < nonzero.size
    assert np.all(np.abs(grad[~nonzero]) <= alpha * (1 + 1e-6))
    assert_allclose(grad[nonzero], -alpha * np.sign(model.coef_[nonzero]), rtol=1e-6)
    if fit_intercept:
        assert_allclose(grad_b, 0.0, atol=1e-10)


def test_binary_probabilities_keep_their_precision():
    """The probability of classes_[0] was 1 - expit(score): 0 from a score of 37 on, as
    for the absent class of a fit whose weights leave one class (intercept 72), where
    predict_log_proba gives -72."""
    X, y = make_data(2, n_samples=40, seed=0)
    model = LinearClassifier(class_weight={0: 0.0, 1: 1.0}).fit(X, y)
    proba = model.predict_proba(X)
    assert np.all(proba[:, 0] > 0.0)
    assert_allclose(np.log(proba), model.predict_log_proba(X), rtol=1e-12, atol=1e-15)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_l1_weights_set_to_zero_stay_exactly_zero(container):
    """Coordinate descent sets a weight to exactly zero, and the extrapolation along the
    whole Newton step moved it off again (the L1 cost of that is paid by the others'
    decrease). At every step its sign alternated and its size shrank: coef_ held 7e-21
    where the optimum has a zero (the gradient 0.3% inside the L1 ball), after 102 Newton
    steps to a gap of 1e-10."""
    X, y = make_classification(300, 40, n_informative=15, n_classes=4,
                               n_clusters_per_class=1, flip_y=0.05, random_state=4)
    X = StandardScaler().fit_transform(X)
    alpha = 0.01 * classification_alpha_max(X, y, 4, np.ones(len(y)), True, 1.0)
    model = LinearClassifier("l1", alpha=alpha, tol=1e-10).fit(container(X), y)
    grad, _ = gradient(X, y, model.coef_, model.intercept_)
    nonzero = model.coef_ != 0
    assert np.all(np.abs(grad[~nonzero]) <= alpha * (1 + 1e-6))
    assert_allclose(grad[nonzero], -alpha * np.sign(model.coef_[nonzero]), rtol=1e-6)
    assert model.n_iter_ < 40


@pytest.mark.parametrize(("n_classes", "seed", "alpha", "fit_intercept"),
                         [(4, 6, 3e-4, False), (6, 10, 1e-4, True)])
def test_l1_multinomial_weights_near_zero_do_not_stall_it(n_classes, seed, alpha,
                                                          fit_intercept):
    """Weights moved off zero by the extrapolation along the whole Newton step (see
    test_l1_weights_set_to_zero_stay_exactly_zero) changed sign at every step, so the signs
    never settled for a Newton step on the model's support: these fits ended at
    max_iter=300 with gaps of 1.6e-4 and 4.5e-3, holding weights of 1e-48 to 1e-16. They
    now take 17 and 35 steps."""
    X, y = make_data(n_classes, 100, n_features=20, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l1", alpha=alpha, tol=1e-8, max_iter=100,
                                 fit_intercept=fit_intercept).fit(X, y)
    grad, _ = gradient(X, y, model.coef_, model.intercept_)
    nonzero = model.coef_ != 0
    assert np.all(np.abs(grad[~nonzero]) <= alpha * (1 + 1e-6))
    assert_allclose(grad[nonzero], -alpha * np.sign(model.coef_[nonzero]), rtol=1e-4)

@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multinomial_support_newton_runs_once_the_signs_settle(fit_intercept):
    """The Newton step on the model's support is taken once the weights' signs hold over an
    epoch. For several blocks its cost counts the other blocks' probabilities, so an empty
    support (signs that just changed) passed the cost test: a step on no weight was run,
    marked the settled signs as tried and reset the descent's work, and coordinate descent
    then used all its epochs on every ill-conditioned model (weak L1, a class of one
    sample)."""
    X, y = make_data(3, 90, seed=1)
    keep = np.argsort(y, kind="stable")[30:]
    X, labels = np.asfortranarray(X[keep]), y[keep]
    n_samples, n_features = X.shape
    c = np.full(n_samples, 1.0 / n_samples)
    # the kernels' types as the estimators pass them (no other compilation)
    no_data, no_indices = np.empty(0), np.empty(0, dtype=np.uint32)
    W, b = np.zeros((3, n_features)), np.zeros(3)
    prox_newton(X, no_data, no_indices, no_indices, False, False, labels, c, W, b,
                fit_intercept, 2.4e-4, 0.0, 3, 0.0)
    Z = np.ascontiguousarray((X @ W.T + b).T)
    P = classification_probabilities(Z, True)
    epochs = []
    for _ in range(6):
        if fit_intercept:
            optimize_intercepts(Z, b, labels, c, P)
        _, n_epochs, accepted = _newton_step(
            X, no_data, no_indices, no_indices, False, Z, P, W, b, labels, c,
            np.arange(n_features), fit_intercept, 2.4e-4, 0.0, 1e-9, False)
        assert accepted
        epochs.append(n_epochs)
    assert np.sum(np.array(epochs) < MAX_CD_EPOCHS) >= 3, epochs


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-8])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_dual_gap_bounds_suboptimality(n_classes, penalty, tol):
    """``dual_gap_`` >= P(w) - P*, with P* from a fit at a far tighter tolerance."""
    X, y = make_data(n_classes, n_samples=80, n_features=100, seed=4)  # p > n
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.5, 2.0, len(y))
    alpha, l1_ratio = 0.01, L1_RATIO[penalty]
    kwargs = {"penalty": penalty, "alpha": alpha, "l1_ratio": 0.5}
    best = LinearClassifier(**kwargs, tol=1e-14, max_iter=1000).fit(X, y, sample_weight)
    p_star = objective(X, y, best.coef_, best.intercept_, alpha, l1_ratio, sample_weight)
    for fit_intercept in [True, False]:
        model = LinearClassifier(**kwargs, tol=tol, fit_intercept=fit_intercept).fit(
            X, y, sample_weight)
        primal = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio, sample_weight)
        if fit_intercept:
            assert primal - p_star <= model.dual_gap_ + 1e-14
            freq = np.bincount(y, weights=sample_weight) / sample_weight.sum()
            p_null = -(freq * np.log(freq)).sum()
        else:
            p_null = np.log(n_classes)
        assert 0.0 <= model.dual_gap_ <= tol * p_null
    assert best.dual_gap_ <= 1e-14 * p_null


def test_l1_gap_is_the_best_dual_point_yet():
    """Rank-deficient multinomial L1 at a tiny alpha: the gradient converges slowly and
    the dual points of successive iterates differ widely (the gap after 40 proximal Newton
    iterations was 10x that after 20). The best dual value seen certifies: the gap never
    grows with max_iter, and stays an upper bound on the suboptimality."""
    X, y = make_data(6, n_samples=200, n_features=10, seed=2)  # rank 9
    alpha = classification_alpha_max(X, y, 6, np.ones(len(y)), False, 1.0) / 9694
    kwargs = dict(alpha=alpha, fit_intercept=False, tol=1e-14)
    best = LinearClassifier("l1", **kwargs, max_iter=5000).fit(X, y)
    p_star = objective(X, y, best.coef_, best.intercept_, alpha, 1.0)
    gaps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for max_iter in [10, 20, 40, 60, 80, 100, 150, 200]:
            model = LinearClassifier("l1", **kwargs, max_iter=max_iter).fit(X, y)
            primal = objective(X, y, model.coef_, model.intercept_, alpha, 1.0)
            assert primal - p_star <= model.dual_gap_ + 1e-14
            gaps.append(model.dual_gap_)
    assert np.all(np.diff(gaps) <= 0.0), gaps


def test_string_labels_and_probabilities():
    X, y = make_data(3)
    names = np.array(["cat", "dog", "emu"])[y]
    model = LinearClassifier("l1", alpha=0.01, tol=1e-10).fit(X, names)
    numeric = LinearClassifier("l1", alpha=0.01, tol=1e-10).fit(X, y)
    assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    assert_array_equal(model.predict(X), np.array(["cat", "dog", "emu"])[numeric.predict(X)])
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.log(proba), model.predict_log_proba(X), atol=1e-12)
    assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    assert model.decision_function(X).shape == (len(y), 3)

    binary = np.where(y == 0, "no", "yes")
    model = LinearClassifier(alpha=0.01).fit(X, binary)
    scores = model.decision_function(X)
    assert scores.shape == (len(y),)
    assert_array_equal(model.predict(X), np.where(scores > 0, "yes", "no"))
    assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-scores)))
    assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)), atol=1e-12)
    far = 1e3 * X  # log-probabilities stay finite where probabilities round to 0
    assert np.all(np.isfinite(model.predict_log_proba(far)))


@pytest.mark.parametrize("penalty, n_classes, solver", [
    ("l1", 3, "proximal Newton"), ("l2", 3, "L-BFGS"), ("l2", 2, "Newton")])
def test_convergence_warning_names_the_solver_and_the_gap(penalty, n_classes, solver):
    X, y = make_data(n_classes, n_samples=50, n_features=60)  # fewer samples: Newton for L2
    with pytest.warns(ConvergenceWarning, match=rf"The {solver} solver .* duality gap of \d"):
        model = LinearClassifier(penalty, alpha=1e-3, tol=1e-14, max_iter=1).fit(X, y)
    assert model.n_iter_ == 1


def test_convergence_warning_tells_an_early_stop_from_max_iter():
    """At tol=0 a solver can stop before max_iter, where rounding leaves it nothing to gain:
    the warning said it "reached max_iter" and advised increasing it. Without penalty it
    also called the Newton decrease a duality gap."""
    with pytest.warns(ConvergenceWarning) as record:
        warn_if_not_converged(1e-17, 0.0, 200, 12)
    message = str(record[0].message)
    assert "stopped after 12 of max_iter=200" in message and "Increase tol" in message
    assert "reached max_iter" not in message and "Increase max_iter" not in message
    with pytest.warns(ConvergenceWarning, match="reached max_iter=200 with a duality gap"):
        warn_if_not_converged(1e-17, 0.0, 200, 200)
    # a fit at tol=0 stops early; whether float64 rounding leaves its gap at exactly zero
    # (no warning) or above it depends on the platform's arithmetic
    X, y = make_data(2, n_samples=90)
    max_iter = 200
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        model = LinearClassifier("elasticnet", alpha=1e-2, l1_ratio=0.5, tol=0.0,
                                 max_iter=max_iter).fit(X, y)
    assert model.n_iter_ < max_iter
    messages = [str(w.message) for w in record if w.category is ConvergenceWarning]
    if model.dual_gap_ > 0.0:
        assert len(messages) == 1
        assert f"stopped after {model.n_iter_} of max_iter={max_iter}" in messages[0]
    else:
        assert not messages
    with pytest.warns(ConvergenceWarning, match="reached max_iter=2 with a Newton decrease"):
        LinearClassifier(None, tol=0.0, max_iter=2).fit(X, y)


@pytest.mark.parametrize("n_samples, n_features, solver", [
    (1000, 30, "L-BFGS"), (300, 30, "proximal Newton"), (60, 200, "Newton"),
    (200, 300, "dual coordinate descent")])
def test_binary_l2_solver_follows_the_shape(n_samples, n_features, solver):
    """More samples than features: L-BFGS (O(n p) a step), proximal Newton on a small
    design (compiled epochs, where L-BFGS's NumPy calls cost more); few samples: the exact
    Newton; more, but still fewer than features: dual coordinate descent (one variable a
    sample)."""
    rng = np.random.RandomState(0)
    X = rng.randn(n_samples, n_features)
    y = (X[:, 0] + 0.5 * rng.randn(n_samples) > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match=f"The {solver} solver"):
        LinearClassifier("l2", alpha=1e-3, tol=1e-14, max_iter=1, fit_intercept=False).fit(X, y)


def test_warm_start_reuses_the_solution():
    X, y = make_data(3)
    model = LinearClassifier("elasticnet", alpha=0.01, tol=1e-13, warm_start=True).fit(X, y)
    first = model.n_iter_
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ < first
    assert_allclose(model.coef_, coef, atol=1e-6)
    cold = LinearClassifier("elasticnet", alpha=0.02, tol=1e-13).fit(X, y)
    model.set_params(alpha=0.02).fit(X, y)
    assert_allclose(model.coef_, cold.coef_, atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_warm_started_fits_with_a_small_max_iter_converge(penalty, n_classes):
    """Refits with warm_start=True and a small max_iter each go on from the last one: the
    objective never increases, every dual_gap_ bounds the true suboptimality, and tol is
    reached (coordinate descent of LinearRegressor had come back to its start; the
    classifiers' solvers return their last iterate)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 100))
    for j in range(1, 100):  # AR(1) columns, 0.9 apart
        X[:, j] = 0.9 * X[:, j - 1] + np.sqrt(1 - 0.81) * X[:, j]
    truth = np.zeros((100, n_classes))
    truth[rng.choice(100, 10, replace=False)] = 2.0 * rng.standard_normal((10, n_classes))
    y = np.argmax(X @ truth + rng.gumbel(size=(200, n_classes)), axis=1)
    # L-BFGS starts its memory afresh at each call: a few more iterations per call; with
    # two proximal Newton steps per call, binary L1 crawled (gap 4e-5 after 40 calls) until
    # the Newton steps on the model's support
    alpha, l1_ratio, max_iter = (2e-3, 1.0, 2) if penalty == "l1" else (1e-3, 0.0, 7)
    tol = 1e-6
    optimum = LinearClassifier(penalty, alpha=alpha, tol=1e-12, max_iter=10**4).fit(X, y)
    optimal = objective(X, y, optimum.coef_, optimum.intercept_, alpha, l1_ratio)
    freq = np.bincount(y) / len(y)
    null = -freq @ np.log(freq)  # the intercept-only objective
    model = LinearClassifier(penalty, alpha=alpha, tol=tol, warm_start=True,
                             max_iter=max_iter)
    previous = np.inf
    for _ in range(60):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        current = objective(X, y, model.coef_, model.intercept_, alpha, l1_ratio)
        assert current - optimal <= model.dual_gap_ + 1e-12 * null
        assert current <= previous + 1e-13 * null
        previous = current
        if model.dual_gap_ <= tol * null:
            break
    assert model.dual_gap_ <= tol * null


@pytest.mark.parametrize("layout", ["csc", "csr", "dense", "fortran"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_read_only_inputs_give_the_same_fit(n_classes, layout):
    """A read-only design (a memory map) is fitted as its writable copy, and not modified;
    a Fortran-ordered one without intercept reaches the kernel without a copy."""
    X, y = make_data(n_classes, n_samples=60, n_features=15)
    X[np.abs(X - 0.5) < 0.7] = 0.0
    fit_intercept = layout != "fortran"
    X = {"csc": sp.csc_matrix, "csr": sp.csr_matrix, "dense": np.array,
         "fortran": np.asfortranarray}[layout](X)
    read_only = X.copy()
    # a memory-mapped sparse matrix has read-only indices too (int32 ones reach the
    # kernels as unsigned views, without a copy)
    parts = ([read_only.data, read_only.indices, read_only.indptr] if sp.issparse(read_only)
             else [read_only])
    for part in parts:
        part.flags.writeable = False
    for penalty in ["l1", "elasticnet"]:
        kwargs = {"alpha": 0.01, "l1_ratio": 0.5, "fit_intercept": fit_intercept}
        writable = LinearClassifier(penalty, **kwargs).fit(X, y)
        model = LinearClassifier(penalty, **kwargs).fit(read_only, y)
        assert np.count_nonzero(model.coef_) > 0
        assert_array_equal(model.coef_, writable.coef_)
        assert_array_equal(model.intercept_, writable.intercept_)
    assert not any(part.flags.writeable for part in parts)
    assert_array_equal(read_only.toarray() if sp.issparse(X) else read_only,
                       X.toarray() if sp.issparse(X) else X)


def test_inputs_not_modified():
    X, y = make_data(2)
    X_copy, y_copy = X.copy(), y.copy()
    sw = np.ones(len(y))
    LinearClassifier("l1", alpha=0.01).fit(X, y, sw)
    Xs = sp.csr_matrix(X)
    data = Xs.data.copy()
    LinearClassifier("l1", alpha=0.01).fit(Xs, y, sw)
    assert_array_equal(X, X_copy)
    assert_array_equal(y, y_copy)
    assert_array_equal(Xs.data, data)
    assert_array_equal(sw, 1.0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "alpha"),
        ({"penalty": "l3"}, "penalty"),
        ({"l1_ratio": 1.5}, "l1_ratio"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
    ],
)
def test_bad_parameters(params, match):
    X, y = make_data(2)
    with pytest.raises(ValueError, match=match):
        LinearClassifier(**params).fit(X, y)


def test_bad_inputs():
    X, y = make_data(3)
    model = LinearClassifier()
    with pytest.raises(ValueError, match="one class"):
        model.fit(X, np.zeros(len(y)))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        model.fit(X_inf, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=np.ones(len(y) + 1))
    with pytest.raises(ValueError, match="Negative"):
        model.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero"):
        model.fit(X, y, sample_weight=np.zeros(len(y)))
    model.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :-1])
    y_nan = y.astype(float)
    y_nan[0] = np.nan
    with pytest.raises(ValueError):
        model.fit(X, y_nan)


@pytest.mark.parametrize("y", [
    np.array([1, 0, 1, 1]), np.array([-3, 7, 7, 2], dtype=np.int8), np.array([3, 3, 10**6]),
    np.array([2, 0, 2], dtype=np.uint64), np.array([2**63 + 5, 2**63 + 1], dtype=np.uint64),
    np.array([-2**63, 2**63 - 1]), np.array([True, False, True]), np.array(["b", "a", "b"]),
])
def test_class_indices_is_numpys_unique(y):
    """Labels counted (integers of a narrow range) or sorted: the same classes, dtype and
    indices as ``np.unique``."""
    classes, labels = class_indices(y)
    expected_classes, expected_labels = np.unique(y, return_inverse=True)
    assert classes.dtype == expected_classes.dtype
    assert_array_equal(classes, expected_classes)
    assert_array_equal(labels, expected_labels)


@pytest.mark.parametrize("n_appended", [0, 3, HISTORY + 4])
@pytest.mark.parametrize("scaled", [False, True])
def test_lbfgs_two_loop_matches_the_textbook_recursion(n_appended, scaled):
    """The compiled two-loop recursion on the ring buffers (wrapped around after more than
    HISTORY pairs) gives Nocedal and Wright's direction (Algorithm 7.4) from the last
    HISTORY pairs, with the initial scaling ``gamma I`` or ``gamma diag(scaling)``."""
    rng = np.random.default_rng(n_appended)
    size = 40
    A = rng.standard_normal((size, size))
    hessian = A @ A.T + np.eye(size)  # pairs of a quadratic: y = H s, y^T s > 0
    memory = _Memory(size)
    pairs = []
    for _ in range(n_appended):
        s = rng.standard_normal(size)
        y = hessian @ s
        memory.append(s, y, y @ s)
        pairs = (pairs + [(s, y)])[-HISTORY:]
    gradient = rng.standard_normal(size)
    scaling = rng.uniform(0.5, 2.0, size) if scaled else np.ones(size)

    q = gradient.copy()
    alphas = []
    for s, y in reversed(pairs):
        alphas.append((s @ q) / (y @ s))
        q -= alphas[-1] * y
    gamma = (pairs[-1][0] @ pairs[-1][1]) / (pairs[-1][1] @ (scaling * pairs[-1][1])) \
        if pairs else 1.0
    q *= gamma * scaling
    for (s, y), a in zip(pairs, reversed(alphas), strict=True):
        q += (a - (y @ q) / (y @ s)) * s
    expected = -q

    direction = _two_loop(gradient, memory.steps, memory.changes, memory.rhos,
                          memory.n_pairs, memory.newest, scaling if scaled else np.empty(0))
    assert_allclose(direction, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    if pairs:  # the secant equation of the newest pair holds for the implicit H
        s, y = pairs[-1]
        H_y = -_two_loop(y, memory.steps, memory.changes, memory.rhos, memory.n_pairs,
                         memory.newest, scaling if scaled else np.empty(0))
        assert_allclose(H_y, s, rtol=1e-8, atol=1e-10 * np.abs(s).max())
    memory.clear()
    assert_allclose(_two_loop(gradient, memory.steps, memory.changes, memory.rhos,
                              memory.n_pairs, memory.newest, np.empty(0)), -gradient)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("offset", [10.0, 1e4])
def test_sparse_columns_far_from_the_origin_converge_as_dense(offset, penalty, n_classes,
                                                              dtype):
    """A one-hot block beside raw numeric columns (a ColumnTransformer's sparse output):
    at an offset of 1e3, proximal Newton on the sparse design ran its 1000 steps. In
    float32 at an offset of 1e4, the solver converges as well, but the float32 intercept
    (about 3e4 times the weights, to a float32 ulp of 2e-3) cannot certify tol: that
    rounding, and it alone, warns, and the objective is within the certified gap."""
    rng = np.random.RandomState(3)
    X = (rng.uniform(size=(400, 30)) < 0.1).astype(dtype)
    X[:, :3] = offset + rng.randn(400, 3)
    X[:, 3] = rng.uniform(size=400) < 0.9
    score = X[:, :4].sum(axis=1) - 3 * offset + X[:, 10:15].sum(axis=1) + rng.randn(400)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    sample_weight = rng.uniform(0.5, 2.0, 400)
    X_sparse = sp.csr_matrix(X)
    before = X_sparse.copy()
    l1_ratio = 1.0 if penalty == "l1" else 0.5
    kwargs = {"penalty": penalty, "alpha": 1e-3, "l1_ratio": l1_ratio, "tol": 1e-10,
              "max_iter": 200}
    rounding = dtype == np.float32 and offset > 1e3
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        model = LinearClassifier(**kwargs).fit(X_sparse, y, sample_weight)
    messages = [str(w.message) for w in record if w.category is ConvergenceWarning]
    assert all(m.startswith("Rounding the coefficients") for m in messages), messages
    assert len(messages) == rounding
    dense = LinearClassifier(**kwargs).fit(X.astype(np.float64), y, sample_weight)
    assert (X_sparse != before).nnz == 0
    ours = objective(X, y, model.coef_, model.intercept_, 1e-3, l1_ratio, sample_weight)
    theirs = objective(X, y, dense.coef_, dense.intercept_, 1e-3, l1_ratio, sample_weight)
    assert abs(ours - theirs) <= 1e-9 * theirs + (model.dual_gap_ if rounding else 0.0)
    assert ours - theirs <= model.dual_gap_ + 1e-9 * theirs
    # the float32 intercept's ulp moves the probabilities by up to ~1e-4; scored in float32
    # (as LogisticRegression's and LinearRegressor's) at 1e4, by ~1e-3 more
    assert_allclose(model.predict_proba(X.astype(np.float64)), dense.predict_proba(X),
                    atol=5e-4 if rounding else 1e-5)
    assert_allclose(model.predict_proba(X), dense.predict_proba(X),
                    atol=5e-3 if rounding else 1e-5)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_dense_enough_sparse_design_with_intercept_is_centered_as_dense(penalty, fmt):
    """A sparse design storing half its entries (arcene: 0.54), with an intercept, is
    centered as a dense one: the fit is the dense input's (up to the rounding of the
    column means, summed over a Fortran-ordered copy), where storing its offset-dominated
    columns centered in the sparse copy took longer than a dense copy, and proximal Newton
    ran slower on it."""
    rng = np.random.RandomState(0)
    X = np.where(rng.uniform(size=(60, 400)) < 0.6, rng.uniform(0.0, 1000.0, (60, 400)), 0.0)
    y = (X[:, :5].sum(axis=1) + 300 * rng.randn(60) > np.median(X[:, :5].sum(axis=1)))
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    kwargs = {"penalty": penalty, "alpha": 1e-2, "l1_ratio": L1_RATIO[penalty], "tol": 1e-8}
    model = LinearClassifier(**kwargs).fit(X_sparse, y)
    # at 0.3 (half the entries dropped), the sparse centering (tall data: L1 1.3 - 1.7x
    # faster on the sparse kernels)
    thinned = sp.csr_matrix(X * (rng.uniform(size=X.shape) < 0.5))
    problem = ClassificationProblem(thinned, y.astype(np.int64), 2, np.full(60, 1 / 60), True)
    assert sp.issparse(problem.centered[0])
    dense = LinearClassifier(**kwargs).fit(X, y)
    assert_array_equal(model.n_iter_, dense.n_iter_)
    assert_array_equal(model.coef_ != 0.0, dense.coef_ != 0.0)
    ours = objective(X, y, model.coef_, model.intercept_, 1e-2, L1_RATIO[penalty])
    theirs = objective(X, y, dense.coef_, dense.intercept_, 1e-2, L1_RATIO[penalty])
    assert abs(ours - theirs) <= model.dual_gap_ + dense.dual_gap_ + 1e-13


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_dense_centering_of_a_sparse_design_makes_one_dense_copy(fmt, dtype, monkeypatch):
    """The dense centering of a sparse design with an intercept holds one dense float64
    copy (and a block of the densification) at a time, where it held two: the C-ordered
    densified matrix, then its Fortran-ordered centered copy (100000 x 400 at density 0.3:
    a peak of 655 MB for a CSR matrix of 144 MB). It centers as the dense input is."""
    monkeypatch.setattr(_design, "DENSIFY_BLOCK_ENTRIES", 2**14)
    rng = np.random.RandomState(0)
    X = np.where(rng.uniform(size=(3000, 200)) < 0.6, rng.uniform(0.0, 1000.0, (3000, 200)),
                 0.0).astype(dtype)
    X_sparse = sp.csr_matrix(X).asformat(fmt)
    weights = rng.uniform(0.5, 2.0, X.shape[0])
    labels = np.arange(X.shape[0]) % 2
    dense = ClassificationProblem(X, labels, 2, weights, True).centered
    problem = ClassificationProblem(X_sparse, labels, 2, weights, True)
    # compiled first, on several blocks (a fresh Numba cache compiles inside the traced
    # region otherwise)
    warm_up = ClassificationProblem(X_sparse[:200], labels[:200], 2, weights[:200], True)
    assert isinstance(warm_up.centered[0], np.ndarray)
    tracemalloc.start()
    try:
        X_centered, X_offset = problem.centered
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense_bytes = X.shape[0] * X.shape[1] * 8
    assert peak < 1.1 * dense_bytes
    assert isinstance(X_centered, np.ndarray) and X_centered.flags.f_contiguous
    assert X_centered.dtype == np.float64
    assert_allclose(X_offset, dense[1], rtol=1e-13)
    assert_allclose(X_centered, dense[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l1_weight_of_a_saturated_sample_is_not_frozen(n_classes):
    """A weight on a column seen by one sample, warm-started so large that the sample's
    probability rounds to 1: the datafit's curvature in that weight is then exactly zero,
    and proximal Newton skipped it, so the penalty's pull never shrank it (gap 0.06 at
    max_iter; news20 subsets of 300-1000 documents stalled that way, gaps near 0.3). A
    floor on the coordinates' curvature lets it move; the fit then matches the cold
    start's."""
    X, y = make_data(n_classes)
    sample = int(np.flatnonzero(y == 1)[0])
    X = np.c_[X, np.eye(len(y))[sample]]  # the last column is that sample's alone
    alpha = 1e-3
    params = dict(penalty="l1", alpha=alpha, tol=1e-10, fit_intercept=False)
    cold = LinearClassifier(**params).fit(X, y)
    warm = LinearClassifier(**params, warm_start=True, max_iter=50).fit(X, y)
    warm.coef_[:] = cold.coef_
    warm.coef_[0 if n_classes == 2 else 1, -1] = 60.0  # the sample's probability is 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warm.fit(X, y)
    null = objective(X, y, np.zeros_like(cold.coef_), 0.0, alpha, 1.0)
    assert warm.dual_gap_ <= 1e-10 * null
    assert objective(X, y, warm.coef_, 0.0, alpha, 1.0) == pytest.approx(
        objective(X, y, cold.coef_, 0.0, alpha, 1.0), rel=1e-9)
    assert_allclose(warm.coef_[:, -1], cold.coef_[:, -1], atol=1e-6)


def test_multinomial_pure_l1_weights_take_the_penalty_minimizing_class_shift():
    """Without intercept or L2 part, the objective is flat along a common shift of a
    feature's weights in every class but for the L1 penalty's slope, which a weak penalty
    makes tiny: proximal Newton crawled along it (300 iterations, gap 0.9 of the null
    objective). Each step now shifts the weights to the point of their median interval
    nearest zero, which lowers the penalty and changes no probability."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 10)) * np.exp(rng.normal(0, 2, 10)) + rng.normal(0, 5, 10)
    y = np.arange(150) % 5
    rng.shuffle(y)
    alpha = 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier("l1", alpha=alpha, tol=1e-8, fit_intercept=False,
                                 max_iter=100).fit(X, y)
    null = objective(X, y, np.zeros_like(model.coef_), 0.0, alpha, 1.0)
    assert model.dual_gap_ <= 1e-8 * null
    # the median condition: no common shift of a column lowers its L1 norm
    for column in model.coef_.T:
        shifted = [np.abs(column - t).sum() for t in np.linspace(-1e-3, 1e-3, 21)]
        assert np.abs(column).sum() <= min(shifted) + 1e-12


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_no_penalty_multinomial_weights_are_centered_whatever_the_layout(fit_intercept):
    """Unpenalized softmax weights are defined up to a common row: the one reported has
    columns of zero mean, LogisticRegression's (C=np.inf), for dense and sparse X alike
    (the solver left a different arbitrary row for each layout: 0.48 off scikit-learn's)."""
    X, y = make_data(3, n_samples=300, n_features=6)  # not separable (flip_y)
    ref = reference(X, y, 0.0, None, fit_intercept=fit_intercept)
    for X_layout in [X, np.asfortranarray(X), sp.csr_matrix(X), sp.csc_matrix(X)]:
        model = LinearClassifier(None, tol=1e-12, fit_intercept=fit_intercept).fit(X_layout, y)
        assert_allclose(model.coef_.mean(axis=0), 0.0, atol=1e-12)
        scale = max(np.abs(ref.coef_).max(), 1.0)
        assert_allclose(model.coef_, ref.coef_, atol=1e-5 * scale)
        assert_allclose(model.intercept_, ref.intercept_ - ref.intercept_.mean(), atol=1e-5)
        assert_allclose(model.predict_proba(X_layout), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("scale", [1e-20, 1e-40])
def test_l1_gap_on_tiny_features_bounds_the_suboptimality(scale):
    """Features of size ``s`` with ``alpha s`` (the same lasso problem, weights divided by
    ``s``): the reported gap must bound ``P(coef_) - P*``. The steps update the predictions
    incrementally; their drift from ``X W^T + b`` once gave a gap of 0 at a suboptimality
    of 6e-5 (at 1e-40; 2e-12 at 1e-20)."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 10)
    y = (X[:, 0] + 0.5 * rng.randn(300) > 0).astype(int)
    ref = LinearClassifier("l1", alpha=1e-2, tol=1e-15, max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # only the bound is at stake
        model = LinearClassifier("l1", alpha=1e-2 * scale, tol=1e-10).fit(X * scale, y)
    ours = objective(X * scale, y, model.coef_, model.intercept_, 1e-2 * scale, 1.0)
    best = objective(X, y, ref.coef_, ref.intercept_, 1e-2, 1.0) - ref.dual_gap_
    assert ours - best <= model.dual_gap_ + 1e-15


@pytest.mark.parametrize("scale", [1e-8, 1e-20])
def test_l1_iterations_do_not_depend_on_the_feature_scale(scale):
    """Features of size ``s`` with ``alpha s``: the same lasso problem, solved in the same
    steps. Coordinate descent compared the intercepts' violation (units of the residuals)
    raw with the weights' (units of X times the residuals): at 1e-20 no model ever met its
    tolerance, and 100 steps stopped unconverged (14 at unit scale)."""
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 200)
    coef = np.zeros(200)
    coef[:20] = rng.randn(20)
    y = (X @ coef + 0.5 * rng.randn(2000) > 0).astype(int)
    base = LinearClassifier("l1", alpha=1e-3, tol=1e-8).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        scaled = LinearClassifier("l1", alpha=1e-3 * scale, tol=1e-8).fit(X * scale, y)
    assert scaled.n_iter_ <= base.n_iter_ + 2
    assert_allclose(scaled.coef_ * scale, base.coef_, atol=1e-4)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_extreme_class_weight_ratio_reaches_the_intercept_only_optimum(penalty):
    """Class weights 1e-150 and 1: the null objective is ~3e-148, but the dominant class's
    ``-f log f`` was taken from an ``f`` rounded near 1, giving 1e-15; the gap tolerance was
    then so loose that the fit stopped at its first iteration, with the intercept at the
    damped Newton's cap (200 instead of 345)."""
    X, y = make_data(2, n_samples=50)  # the class frequencies sum to 1 + 2e-16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the gap is all rounding here
        model = LinearClassifier(penalty, alpha=1e-3, class_weight={0: 1e-150, 1: 1.0}).fit(X, y)
    n_0, n_1 = np.bincount(y)
    assert model.n_iter_ > 0
    assert model.intercept_[0] == pytest.approx(np.log(n_1 / (1e-150 * n_0)), rel=1e-9)
    assert abs(model.coef_).max() < 1e-100


def test_default_max_iter_is_100_on_the_cpu():
    """``max_iter=None`` stands for 100 iterations on the CPU (1000 FISTA iterations with
    ``device='cuda'``, tested with the CUDA simulator)."""
    X, y = make_data(3, n_samples=200, n_features=30, seed=4)
    default = LinearClassifier("l1", alpha=1e-14, tol=0.0)
    assert default.max_iter is None
    with pytest.warns(ConvergenceWarning, match="max_iter=100"):
        default.fit(X, y)
    explicit = LinearClassifier("l1", alpha=1e-14, tol=0.0, max_iter=100)
    with pytest.warns(ConvergenceWarning):
        explicit.fit(X, y)
    # far from converged at alpha=1e-14: a relative gap near 1e-6 after 1000 iterations
    # (alpha=1e-8 reached a gap of exactly 0 in 65 iterations on a fresh install of
    # 2026-12, NumPy 2.4.6 and SciPy 1.17.1; earlier installs needed more than 100)
    assert default.n_iter_ == explicit.n_iter_ == 100
    assert_array_equal(default.coef_, explicit.coef_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_cv_fold_training_on_one_class_takes_no_nan_step(n_classes):
    """A training part of one class has a null objective of 0, so a gap_tol of 0, and its
    intercepts leave a zero gradient: L-BFGS went on from it, normalizing its zero direction
    by its largest entry (0 / 0, NaN steps and RuntimeWarnings). It stops at the optimum."""
    X, y = make_data(n_classes, n_samples=90, n_features=6)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    train = np.flatnonzero(y == y[-1])
    folds = [(train, np.setdiff1d(np.arange(len(y)), train))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearClassifierCV("l2", alphas=[1.0, 0.1], cv=folds).fit(X, y)
    assert np.isfinite(model.scores_).all()
    labels = np.zeros(len(train), dtype=np.int64)
    W, b = np.zeros((1, X.shape[1])), np.zeros(1)
    c = np.full(len(train), 1.0 / len(train))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gap, n_iter = lbfgs_l2(X[train], labels + 1, c, W, b, True, 1.0, 100, 0.0)
    assert n_iter <= 1 and gap < 1e-50
    assert np.isfinite(W).all() and (W == 0).all()


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_binary_sgd_classifier_conversion_with_sample_weights(penalty):
    """``SGDClassifier(loss='log_loss', alpha=a)`` (binary) is ``alpha=a`` unweighted and
    ``a * n_samples / S`` with sample weights: SGD divides ``sum_i s_i L_i`` by
    ``n_samples`` (docs/user_guide/objective.rst)."""
    from sklearn.linear_model import SGDClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + rng.randn(300) > 0).astype(int)
    # averaged SGD diverges with the elastic net's truncation: plain SGD with a smaller step
    sgd_params = ({"average": True, "eta0": 0.005} if penalty == "l2"
                  else {"average": False, "eta0": 0.0005})
    for weights in (None, rng.uniform(2.0, 4.0, 300)):
        sgd = SGDClassifier(loss="log_loss", alpha=0.05, penalty=penalty, l1_ratio=0.5,
                            max_iter=3000, tol=None, learning_rate="constant",
                            random_state=0, **sgd_params).fit(X, y, sample_weight=weights)
        S = len(y) if weights is None else weights.sum()
        model = LinearClassifier(penalty, alpha=0.05 * len(y) / S, l1_ratio=0.5, tol=1e-12)
        model.fit(X, y, sample_weight=weights)
        assert_allclose(model.coef_, sgd.coef_, atol=5e-3)  # the rest is SGD's noise
        assert_allclose(model.intercept_, sgd.intercept_, atol=5e-3)


def test_l2_cold_start_products_counted(monkeypatch):
    """Binary L2 on sparse text from zero weights: the row norms are summed once (for the
    condition bound and the dual epochs), dual coordinate descent checks no gap after its
    first epoch (a product each check), and L-BFGS from zero weights multiplies by the
    design once per iteration (its start needs no product); the solutions are unchanged:
    the reference's, with a certified gap."""
    import sklreg.solvers._dual_cd_l2 as dual_module
    import sklreg.solvers._lbfgs_l2 as lbfgs_module

    counts = {"norms": 0, "dual": 0, "lbfgs": 0}

    def counted(module, name, key):
        original = getattr(module, name)

        def spy(*args):
            counts[key] += 1
            return original(*args)

        monkeypatch.setattr(module, name, spy)

    counted(dual_module, "_csr_row_sq_norms", "norms")
    counted(dual_module, "design_predictions", "dual")
    counted(lbfgs_module, "design_predictions", "lbfgs")
    X, y = text_like_data()
    runs = spy_on_dual_cd(monkeypatch)
    alpha = 1e-3
    model = LinearClassifier("l2", alpha=alpha, tol=1e-10, fit_intercept=False).fit(X, y)
    assert len(runs) == 1 and not runs[0][2] and runs[0][1] >= 2
    assert counts == {"norms": 1, "dual": runs[0][1] - 1, "lbfgs": 0}
    assert_matches_reference(model, reference(X, y, alpha, "l2", fit_intercept=False), X, y,
                             alpha, "l2")
    c = np.full(len(y), 1.0 / len(y))
    W, b = np.zeros((1, X.shape[1])), np.zeros(1)
    gap, n_iter = lbfgs_module.lbfgs_l2(X, y, c, W, b, False, 0.05, 100, 1e-12)
    assert gap <= 1e-12 and counts["lbfgs"] == n_iter
    ref = reference(X, y, 0.05, "l2", fit_intercept=False)
    assert_allclose(W, ref.coef_, atol=1e-6)


def gap_at(X, y, coef, intercept, alpha, l1_ratio, sample_weight=None, fit_intercept=True):
    """Duality gap of the returned ``(coef, intercept)``, in plain NumPy and float64: the gap
    of ``coef`` at its optimal intercepts (Newton to machine precision; the dual point of
    the residuals is feasible only there), plus what the returned intercepts lose against
    those (``objective`` of both). The dual points are those of CONVENTIONS.md: ``-s R``
    with ``s = min(1, l1 / max|X^T R|)`` and, with an L2 part, ``s = 1``."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = X.astype(np.float64)
    W = np.asarray(coef, dtype=np.float64)
    classes, labels = np.unique(y, return_inverse=True)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    c = sw / sw.sum()
    binary = W.shape[0] == 1
    T = ((labels == 1).astype(float)[:, None] if binary
         else (labels[:, None] == np.arange(len(classes))).astype(float))

    def probabilities(b):
        Z = X @ W.T + b
        return 1.0 / (1.0 + np.exp(-Z)) if binary else np.exp(Z - logsumexp(Z, axis=1,
                                                                          keepdims=True))

    b = np.asarray(intercept, dtype=np.float64).copy()
    if fit_intercept:
        for _ in range(50):
            P = probabilities(b)
            gradient = c @ (P - T)
            hessian = (np.diag(c @ P) - (P * c[:, None]).T @ P if not binary
                       else np.array([[c @ (P[:, 0] * (1.0 - P[:, 0]))]]))
            b -= np.linalg.pinv(hessian, hermitian=True) @ gradient
    P = probabilities(b)
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    G = X.T @ (c[:, None] * (P - T))

    def xlogx(q):
        return np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)

    def dual(scale):
        Q = scale * P + (1.0 - scale) * T
        neg_entropy = xlogx(Q).sum(axis=1) + (xlogx(1.0 - Q[:, 0]) if binary else 0.0)
        excess = np.maximum(scale * np.abs(G) - l1, 0.0)
        if l2 == 0.0:
            return -c @ neg_entropy if excess.max() == 0.0 else -np.inf
        return -c @ neg_entropy - (excess**2).sum() / (2.0 * l2)

    scales = ([min(1.0, l1 / np.abs(G).max())] if l1 > 0 else []) + ([1.0] if l2 > 0 else [])
    primal = objective(X, y, W, b, alpha, l1_ratio, sample_weight)
    gap = primal - max(dual(scale) for scale in scales)
    return gap + objective(X, y, W, intercept, alpha, l1_ratio, sample_weight) - primal


def float32_data(n_classes, sparse):
    """make_classification cast to float32, or a sparse float32 set (5% stored)."""
    if not sparse:
        X, y = make_classification(300, 20, n_informative=6, n_classes=n_classes,
                                   n_clusters_per_class=1, random_state=0)
        return X.astype(np.float32), y
    rng = np.random.RandomState(0)
    X = sp.random(400, 200, density=0.05, format="csr", random_state=rng,
                  data_rvs=lambda n: rng.uniform(0.5, 3.0, n)).astype(np.float32)
    scores = X @ rng.standard_normal((200, n_classes)) + 0.3 * rng.standard_normal(
        (400, n_classes))
    return X, scores.argmax(axis=1)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_input_gives_certified_float32_coefficients(n_classes, penalty,
                                                            fit_intercept, sparse):
    """float32 X (dense or sparse) gives float32 ``coef_`` and ``intercept_``, as
    ``LogisticRegression`` (lbfgs, saga, newton-cholesky) and ``LinearRegressor``; they were
    float64. ``dual_gap_`` is the gap of the rounded coefficients themselves (an independent
    evaluation at the returned ones), within the target; the objective is within it of the
    float64 fit's on the same values; scores and probabilities are float32, as scikit-learn's;
    no ConvergenceWarning at the default tol."""
    X, y = float32_data(n_classes, sparse)
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    alpha, l1_ratio = 1e-3, L1_RATIO[penalty]
    kwargs = {"penalty": penalty, "alpha": alpha, "l1_ratio": 0.5,
              "fit_intercept": fit_intercept}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier(**kwargs).fit(X, y, sample_weight)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.decision_function(X).dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32
    assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    X64 = X.astype(np.float64)
    double = LinearClassifier(**kwargs, tol=1e-12, max_iter=1000).fit(X64, y, sample_weight)
    assert double.coef_.dtype == np.float64
    assert_array_equal(model.predict(X64), model.predict(X))
    if penalty is None:
        assert np.isnan(model.dual_gap_)
        return
    a = 0.0 if penalty is None else alpha
    ours = objective(X64, y, model.coef_, model.intercept_, a, l1_ratio, sample_weight)
    best = objective(X64, y, double.coef_, double.intercept_, a, l1_ratio, sample_weight)
    freq = np.bincount(y, weights=sample_weight) / sample_weight.sum()
    p_null = -(freq * np.log(freq)).sum() if fit_intercept else np.log(n_classes)
    gap = gap_at(X64, y, model.coef_, model.intercept_, alpha, l1_ratio, sample_weight,
                 fit_intercept)
    assert_allclose(model.dual_gap_, gap, rtol=1e-6, atol=1e-13)
    assert 0.0 <= model.dual_gap_ <= model.tol * p_null
    assert ours - best <= model.dual_gap_ + 1e-13
    assert best - ours <= double.dual_gap_ + 1e-13


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_coefficients_warm_start(n_classes, penalty):
    """A float32 ``coef_`` is taken as the warm start: the refit on the same data stays
    float32, certified, and needs no more iterations than the first fit."""
    X, y = float32_data(n_classes, sparse=False)
    model = LinearClassifier(penalty, alpha=1e-3, warm_start=True, tol=1e-6).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.n_iter_ <= first
    gap = gap_at(X, y, model.coef_, model.intercept_, 1e-3, L1_RATIO[penalty])
    assert_allclose(model.dual_gap_, gap, rtol=1e-6, atol=1e-13)


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
@pytest.mark.parametrize("n_classes, present", [(3, [1]), (3, [0, 2]), (2, [0]), (2, [1])])
def test_float32_absent_classes_keep_their_cap(n_classes, present, penalty):
    """float32 X with classes of zero weight (the present classes' problem, or the closed
    form of a single one): float32 coefficients, the absent classes' probability still at
    most ``2**-104`` on the training samples, and a gap that bounds the suboptimality
    against the float64 fit on the same values."""
    X, y = float32_data(n_classes, sparse=False)
    class_weight = {k: float(k in present) for k in range(n_classes)}
    kwargs = {"penalty": penalty, "alpha": 1e-3, "class_weight": class_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifier(**kwargs).fit(X, y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    X64 = X.astype(np.float64)
    absent = np.delete(model.predict_log_proba(X64), present, axis=1)
    assert np.all(absent <= -104.0 * np.log(2.0))
    if penalty is None:
        assert np.isnan(model.dual_gap_)
        return
    double = LinearClassifier(**kwargs, tol=1e-12).fit(X64, y)
    weights = np.array([class_weight[k] for k in y])
    ours = objective(X64, y, model.coef_, model.intercept_, 1e-3, L1_RATIO[penalty], weights)
    best = objective(X64, y, double.coef_, double.intercept_, 1e-3, L1_RATIO[penalty], weights)
    assert ours - best <= model.dual_gap_ + 1e-13


def test_float32_classifier_cv_refit_is_float32():
    """LinearClassifierCV's refit is a LinearClassifier fit: float32 for float32 X."""
    X, y = float32_data(3, sparse=True)
    model = LinearClassifierCV("l1", alphas=3, cv=3).fit(X, y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.decision_function(X).dtype == np.float32


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("offset", [1e4, 1e6])
def test_float32_rounding_bound_is_the_exact_objective_increase(offset, seed):
    """The second bound of ``round_solution``, ``gap + P(rounded) - P(W, b)`` (the only one
    with absent classes), is the objective's increase to the precision of the increase:
    on features far from the origin, ``P(rounded) - P`` as the loss at the difference of
    the two predictions ``X W^T + b`` lost ``eps |X W^T|`` to cancellation (1e-4 of it
    below the true increase at an offset of 1e4), where the shift ``X (W_r - W)^T + (b_r
    - b)`` (exact differences) keeps it to rounding."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 10))
    y = (X @ rng.standard_normal((10, 3)) + rng.gumbel(size=(200, 3))).argmax(axis=1)
    X32 = (X + offset).astype(np.float32)
    X64 = X32.astype(np.float64)
    sample_weight = np.where(y == 2, 0.0, 1.0)  # class 2 absent
    alpha = 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        double = LinearClassifier(alpha=alpha, tol=1e-12).fit(X64, y, sample_weight)
    W0, b0 = double.coef_, double.intercept_
    problem = ClassificationProblem(X32, y, 3, sample_weight, True)
    W, b = W0.copy(), b0.copy()
    bound = problem.round_solution(W, b, 0.0, 0.0, 0.0, alpha)  # gap 0: the increase alone
    assert not np.array_equal(W, W0)
    Z = X64 @ W0.T + b0
    D = X64 @ (W - W0).T + (b - b0)  # the shift: no cancellation

    def loss(Z):
        return logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]

    c = sample_weight / sample_weight.sum()
    increase = c @ (loss(Z + D) - loss(Z)) + 0.5 * alpha * np.sum((W - W0) * (W + W0))
    assert increase > 0.0
    assert_allclose(bound, increase, rtol=1e-6)


@pytest.mark.parametrize("l2_strength", [0.0, 0.3, 5.0])
def test_best_class_shift_minimizes_the_penalty_nearest_zero(l2_strength):
    """The shift of a multinomial model's weights over its classes (which leaves its
    probabilities unchanged) that minimizes the elastic-net penalty, against a dense scan
    of candidates: every kink, every interval's stationary point, zero."""
    from sklreg.solvers._prox_newton import _best_class_shift

    def penalty(a, t):
        return 1.0 * np.abs(a - t).sum() + 0.5 * l2_strength * ((a - t) ** 2).sum()

    rng = np.random.default_rng(3)
    for n in (2, 3, 4, 7, 20):
        for trial in range(30):
            a = rng.standard_normal(n) + (3.0 if trial % 2 else 0.0)
            if trial % 5 == 0:
                a[: n // 2] = a[0]  # ties
            t = _best_class_shift(a, 1.0, l2_strength)
            candidates = np.concatenate([a, np.linspace(a.min() - 1, a.max() + 1, 2001), [0.0]])
            best = min(penalty(a, c) for c in candidates)
            assert penalty(a, t) <= best + 1e-12 * (1 + best)
            if l2_strength == 0.0:  # a median interval: the point of it nearest zero
                low, high = np.sort(a)[(n - 1) // 2], np.sort(a)[n // 2]
                assert t == min(max(0.0, low), high)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_small_l2_problems_by_proximal_newton_match_lbfgs_and_reference(n_classes,
                                                                        fit_intercept,
                                                                        monkeypatch):
    """Small L2 problems go to proximal Newton (see SMALL_L2_WORK); with sample weights and
    off-centre features, its solution is L-BFGS's and scikit-learn's."""
    import sklreg.linear._classifier as classifier_module

    X, y = make_data(n_classes, n_samples=200, n_features=5, seed=4)
    X[:, ::2] += 3.0
    sw = np.random.RandomState(2).uniform(0.1, 3.0, len(y))
    params = dict(alpha=1e-3, tol=1e-12, max_iter=1000, fit_intercept=fit_intercept)
    assert classifier_module.small_l2_problem(X, 1 if n_classes == 2 else n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        small = LinearClassifier("l2", **params).fit(X, y, sample_weight=sw)
        monkeypatch.setattr(classifier_module, "small_l2_problem", lambda *args: False)
        lbfgs = LinearClassifier("l2", **params).fit(X, y, sample_weight=sw)
    ref = reference(X, y, 1e-3, "l2", sample_weight=sw, fit_intercept=fit_intercept)
    assert_matches_reference(small, ref, X, y, 1e-3, "l2", sample_weight=sw)
    assert small.dual_gap_ <= 1e-12 * np.log(n_classes)
    distance = np.linalg.norm(small.coef_ - lbfgs.coef_)
    assert distance <= np.sqrt(2 * small.dual_gap_ / 1e-3) + np.sqrt(2 * lbfgs.dual_gap_ / 1e-3)
