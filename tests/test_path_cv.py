"""regularization_path and LinearRegressorCV against scikit-learn and against single fits."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _reference import objective
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV, enet_path
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklreg import LinearClassifierCV, LinearRegressor, LinearRegressorCV, regularization_path


def problem(n_samples=60, n_features=100, sparse=False, seed=0):
    X, y = make_regression(n_samples, n_features, n_informative=8, noise=2.0,
                           random_state=seed)
    X = X + np.random.RandomState(seed).uniform(-2, 2, n_features)
    if sparse:
        X = sp.csr_matrix(X * (np.random.RandomState(seed).rand(*X.shape) < 0.3))
    return X, y


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_path_matches_scikit_learn_enet_path(l1_ratio):
    X, y = problem()
    path = regularization_path(X, y, penalty="elasticnet", l1_ratio=l1_ratio, n_alphas=20,
                               fit_intercept=False, tol=1e-12, max_iter=10**5)
    alphas, coefs, _ = enet_path(X, y, l1_ratio=l1_ratio, n_alphas=20, tol=1e-14,
                                 max_iter=10**5)
    assert_allclose(path.alphas, alphas, rtol=1e-12)
    for i, alpha in enumerate(alphas):
        ours = objective(X, y, path.coefs[:, i], 0.0, alpha, l1_ratio)
        theirs = objective(X, y, coefs[:, i], 0.0, alpha, l1_ratio)
        assert ours <= theirs * (1 + 1e-10)
    assert_allclose(path.coefs[:, :10], coefs[:, :10], atol=1e-6 * np.abs(coefs).max())
    assert_array_equal(path.intercepts, 0.0)
    assert_array_equal(path.coefs[:, 0], 0.0)  # alpha_max gives w = 0 ...
    assert np.count_nonzero(path.coefs[:, 1]) > 0  # ... and only alpha_max


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
def test_path_equals_independent_fits(sparse, penalty):
    X, y = problem(sparse=sparse)
    sw = np.random.RandomState(1).uniform(0.5, 2, len(y))
    path = regularization_path(X, y, penalty=penalty, n_alphas=8, eps=1e-2,
                               sample_weight=sw, tol=1e-10, max_iter=10**5)
    assert path.coefs.shape == (X.shape[1], 8) and path.dual_gaps.shape == (8,)
    ratio = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}[penalty]
    for i, alpha in enumerate(path.alphas):
        single = LinearRegressor(penalty, alpha=alpha, l1_ratio=0.5, tol=1e-10,
                                 max_iter=10**5).fit(X, y, sample_weight=sw)
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, ratio, sw)
        theirs = objective(X, y, single.coef_, single.intercept_, alpha, ratio, sw)
        assert abs(ours - theirs) <= 1e-8 * theirs
        assert path.dual_gaps[i] <= 1e-10 * 0.5 * np.cov(y, aweights=sw) * 1.01


def test_path_multi_target_and_given_alphas():
    X, y = problem()
    Y = np.column_stack([y, y[::-1]])
    # 60 samples, and supports of about 60 features along the path: coordinate descent
    # crawls along the flat directions of the centered design (rank 59) for a while
    settings = dict(penalty="l1", alphas=[0.5, 5.0, 1.0], tol=1e-10, max_iter=10_000)
    path = regularization_path(X, Y, **settings)
    assert_array_equal(path.alphas, [5.0, 1.0, 0.5])
    assert path.coefs.shape == (2, X.shape[1], 3)
    assert path.intercepts.shape == (2, 3) and path.n_iter.shape == (2, 3)
    second = regularization_path(X, Y[:, 1], **settings)
    assert_allclose(path.coefs[1], second.coefs, atol=1e-6)


def test_path_validates_parameters():
    X, y = problem()
    with pytest.raises(ValueError, match="eps"):
        regularization_path(X, y, eps=2.0)
    with pytest.raises(ValueError, match="alphas"):
        regularization_path(X, y, alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="NaN"):
        regularization_path(np.full_like(X, np.nan), y)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_path_of_a_constant_target_is_zero(sparse, penalty):
    # 0.1 is not a float: its weighted mean rounds off it, leaving noise of 1e-17 to fit
    X, _ = problem(n_samples=37, n_features=6, sparse=sparse)
    y = np.full(X.shape[0], 0.1)
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = regularization_path(X, y, penalty=penalty, n_alphas=4, sample_weight=sw)
        cv = LinearRegressorCV(penalty, alphas=4, cv=3).fit(X, y, sample_weight=sw)
    assert_array_equal(path.coefs, 0.0)
    assert_array_equal(path.intercepts, 0.1)
    assert_array_equal(cv.coef_, 0.0)
    assert_array_equal(cv.predict(X), 0.1)


def test_path_on_the_gram_matrix_with_alpha_zero():
    # a tall dense L1 path runs on its Gram matrix ('auto'), which cannot certify alpha = 0
    X, y = problem(n_samples=2000, n_features=60, seed=7)
    path = regularization_path(X, y, penalty="l1", alphas=[1.0, 0.1, 0.0])
    ols = LinearRegressor(penalty=None).fit(X, y)
    assert_allclose(path.coefs[:, -1], ols.coef_, rtol=1e-10)
    assert path.intercepts[-1] == pytest.approx(ols.intercept_, rel=1e-10)
    cv = LinearRegressorCV("l1", alphas=[1.0, 0.1, 0.0], cv=2).fit(np.vstack([X, X]),
                                                                  np.concatenate([y, y]))
    assert cv.mse_path_.shape == (3, 2)


def test_path_warns_when_a_fit_does_not_converge():
    X, y = problem()
    with pytest.warns(ConvergenceWarning, match="at alpha="):
        regularization_path(X, y, penalty="l1", n_alphas=5, eps=1e-4, max_iter=1, tol=1e-12)


@pytest.mark.parametrize("penalty, reference", [("l1", LassoCV), ("elasticnet", ElasticNetCV)])
def test_cv_selects_the_same_alpha_as_scikit_learn(penalty, reference):
    X, y = problem(n_samples=100, n_features=60, seed=3)
    cv = KFold(4, shuffle=True, random_state=0)
    kwargs = {"l1_ratio": [0.3, 0.9]} if penalty == "elasticnet" else {}
    ours = LinearRegressorCV(penalty, alphas=30, cv=cv, tol=1e-10, max_iter=10**5, **kwargs)
    theirs = reference(alphas=30, cv=cv, tol=1e-12, max_iter=10**5, **kwargs)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    if penalty == "elasticnet":
        assert ours.l1_ratio_ == theirs.l1_ratio_
        assert ours.mse_path_.shape == (2, 30, 4)
    assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-3)
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-5 * np.abs(theirs.coef_).max())


def test_cv_parallel_equals_serial_and_verbose(capsys):
    X, y = problem(sparse=True, seed=4)
    params = dict(penalty="l1", alphas=10, cv=3, tol=1e-6, max_iter=10**4)
    serial = LinearRegressorCV(**params).fit(X, y)
    parallel = LinearRegressorCV(n_jobs=2, verbose=1, **params).fit(X, y)
    assert_array_equal(serial.mse_path_, parallel.mse_path_)
    assert serial.alpha_ == parallel.alpha_
    out = capsys.readouterr().out
    assert out.count("[LinearRegressorCV]") == 3 and "fold 3/3" in out


def test_cv_refit_is_the_single_fit_at_the_selected_alpha():
    X, y = problem(seed=5)
    sw = np.random.RandomState(2).uniform(0.5, 2, len(y))
    cv = LinearRegressorCV("elasticnet", l1_ratio=[0.2, 0.7], alphas=10, cv=3, tol=1e-10)
    cv.fit(X, y, sample_weight=sw)
    single = LinearRegressor("elasticnet", alpha=cv.alpha_, l1_ratio=cv.l1_ratio_, tol=1e-10)
    single.fit(X, y, sample_weight=sw)
    assert_allclose(cv.coef_, single.coef_)
    assert cv.l1_ratio_ in (0.2, 0.7)
    best = np.unravel_index(cv.mse_path_.mean(axis=2).argmin(), cv.mse_path_.shape[:2])
    assert cv.alphas_[best] == cv.alpha_


def test_cv_l2_grid_and_pipeline_grid_search():
    X, y = problem(seed=6)
    ridge = LinearRegressorCV("l2", alphas=10, cv=3).fit(X, y)
    Xc = X - X.mean(axis=0)
    top_curvature = np.linalg.eigvalsh(Xc.T @ Xc / len(y))[-1]
    # a power iteration's estimate: from below, close enough for a grid's start
    assert 0.8 * 10 * top_curvature <= ridge.alphas_[0] <= (1 + 1e-12) * 10 * top_curvature
    assert ridge.alphas_[-1] == pytest.approx(1e-6 * ridge.alphas_[0])  # eps ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), LinearRegressorCV(alphas=5, cv=3)),
            {"linearregressorcv__penalty": ["l1", "l2"]}, cv=3,
        ).fit(X, y)
    assert search.best_score_ > 0.5


def test_cv_rejects_bad_l1_ratio_list():
    X, y = problem()
    with pytest.raises(ValueError, match="l1_ratio"):
        LinearRegressorCV("elasticnet", l1_ratio=[0.5, 1.5]).fit(X, y)


def test_cv_rejects_folds_without_weight():
    X, y = problem(n_samples=20, seed=7)
    sw = np.ones(20)
    sw[:4] = 0.0
    with pytest.raises(ValueError, match="summing to zero"):
        LinearRegressorCV("l1", alphas=5, cv=5).fit(X, y, sample_weight=sw)


def test_cv_rejects_folds_with_an_empty_part():
    """An empty held-out part made a NaN error column and a silently arbitrary alpha_."""
    X, y = problem(n_samples=20, seed=7)
    folds = [(np.arange(15), np.arange(15, 20)), (np.arange(20), np.arange(0))]
    with pytest.raises(ValueError, match="no samples"):
        LinearRegressorCV("l1", alphas=5, cv=folds).fit(X, y)


def test_cv_on_tall_data_shares_one_gram_matrix_per_fold(monkeypatch):
    """On n_samples >> n_features, the paths of every l1_ratio of a fold run on one X^T X
    (formed from the whole data's), and select what ElasticNetCV selects."""
    from sklreg.linear import _cv, _least_squares

    X, y = problem(n_samples=2000, n_features=80, seed=7)
    calls = {"fold": 0, "own": 0}
    training_gram, centered_gram = _cv.training_gram, _least_squares.centered_gram

    def counted(key, function):
        def call(*args):
            calls[key] += 1
            return function(*args)
        return call

    monkeypatch.setattr(_cv, "training_gram", counted("fold", training_gram))
    monkeypatch.setattr(_least_squares, "centered_gram", counted("own", centered_gram))
    cv = KFold(3, shuffle=True, random_state=0)
    kwargs = {"l1_ratio": [0.2, 0.6, 1.0], "alphas": 30, "cv": cv, "max_iter": 10**5}
    ours = LinearRegressorCV("elasticnet", tol=1e-10, **kwargs).fit(X, y)
    assert calls["fold"] == 3 + 1  # and the refit's, from the moments too
    assert calls["own"] == 0
    theirs = ElasticNetCV(tol=1e-12, **kwargs).fit(X, y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    assert ours.l1_ratio_ == theirs.l1_ratio_
    assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-4)


def test_given_alphas_with_several_l1_ratios_have_elastic_net_cv_shapes():
    # ElasticNetCV keeps given alphas as one grid (n_alphas,), generated ones per l1_ratio
    X, y = problem()
    cv = KFold(3, shuffle=True, random_state=0)
    for alphas in (np.geomspace(1.0, 1e-3, 7), 7):
        kwargs = {"l1_ratio": [0.3, 0.9], "alphas": alphas, "cv": cv, "max_iter": 10**5}
        ours = LinearRegressorCV("elasticnet", tol=1e-10, **kwargs).fit(X, y)
        theirs = ElasticNetCV(tol=1e-12, **kwargs).fit(X, y)
        assert ours.alphas_.shape == theirs.alphas_.shape
        assert ours.mse_path_.shape == theirs.mse_path_.shape == (2, 7, 3)
        assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
        assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
        labels = (y > np.median(y)).astype(int)
        classifier = LinearClassifierCV("elasticnet", l1_ratio=[0.3, 0.9], alphas=alphas,
                                        cv=cv).fit(X, labels)
        assert classifier.alphas_.shape == ours.alphas_.shape
        assert classifier.alpha_ in classifier.alphas_


def test_cv_on_tall_data_gathers_no_fold_rows(monkeypatch):
    """A plain tall CV fit (paths certified on the folds' Gram matrices) never gathers a
    fold's training rows: its designs from the moments keep them as a RowGather."""
    from sklreg.linear import _cv
    from sklreg.linear._design import RowGather

    designs = []
    moments_design = _cv.moments_design
    monkeypatch.setattr(_cv, "moments_design",
                        lambda *args: designs.append(moments_design(*args)) or designs[-1])
    rng = np.random.RandomState(0)
    X = rng.randn(3000, 60) + rng.uniform(-5, 5, 60)
    y = X[:, :8] @ rng.randn(8) + rng.randn(3000)
    model = LinearRegressorCV("elasticnet", l1_ratio=[0.5, 1.0], alphas=30, cv=4,
                              tol=1e-8).fit(X, y)
    assert len(designs) == 1 + 4  # the whole data's (grid and refit) and each fold's
    assert all(isinstance(design._A, RowGather) for design in designs[1:])
    assert 0.0 <= model.dual_gap_ <= 1e-8 * np.var(y)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["auto", "gram"])
@pytest.mark.parametrize("sorted_targets", [False, True])
def test_cv_folds_share_whole_data_moments(monkeypatch, solver, weighted, sorted_targets):
    """Folds whose training Gram summaries come from the whole data's moments find the
    test errors and the alpha of folds that form their own; also with rows sorted by
    target (unshuffled folds: each training part's target mean far from the whole's)."""
    from sklreg.linear import _cv
    from sklreg.linear._least_squares import training_gram

    rng = np.random.RandomState(0)
    X = rng.randn(1500, 100) + rng.uniform(-5, 5, 100)
    y = X[:, :10] @ rng.randn(10) + rng.randn(1500) + 1e3
    if sorted_targets:
        order = np.argsort(y)
        X, y = X[order], y[order]
    sw = rng.uniform(0.5, 2.0, 1500) if weighted else None
    cv = KFold(4) if sorted_targets else KFold(4, shuffle=True, random_state=0)
    params = dict(penalty="elasticnet", l1_ratio=[0.5, 1.0], cv=cv, alphas=20, tol=1e-10,
                  solver=solver)
    calls = []
    monkeypatch.setattr(_cv, "training_gram",
                        lambda *args: calls.append(1) or training_gram(*args))
    shared = LinearRegressorCV(**params).fit(X, y, sample_weight=sw)
    assert len(calls) == 4 + 1  # the refit's from the moments too
    monkeypatch.setattr(LinearRegressorCV, "_folds_share_moments", lambda *args: False)
    own = LinearRegressorCV(**params).fit(X, y, sample_weight=sw)
    assert len(calls) == 4 + 1
    # two solutions within a relative gap of 1e-10 can differ by ~1e-5 along the weakly
    # curved directions of small alphas; a wrong Gram matrix moves the errors far more
    assert_allclose(shared.mse_path_, own.mse_path_, rtol=1e-4)
    assert (shared.alpha_, shared.l1_ratio_) == (own.alpha_, own.l1_ratio_)
    # the refit on the moments: LinearRegressor's solution, certified as tightly
    refit = LinearRegressor("elasticnet", alpha=own.alpha_, l1_ratio=own.l1_ratio_,
                            tol=1e-13, max_iter=10**5).fit(X, y, sample_weight=sw)
    best = objective(X, y, refit.coef_, refit.intercept_, own.alpha_, own.l1_ratio_, sw)
    null = objective(X, y, 0 * refit.coef_, np.average(y, weights=sw), own.alpha_,
                     own.l1_ratio_, sw)
    for model in (shared, own):
        reached = objective(X, y, model.coef_, model.intercept_, own.alpha_, own.l1_ratio_,
                            sw)
        assert 0.0 <= model.dual_gap_ <= 1e-10 * null
        assert reached - best <= model.dual_gap_ + 1e-13 * best
        assert model.n_iter_ >= 1
    assert_allclose(shared.coef_, refit.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_test_errors_from_the_moments_equal_those_of_the_predictions(weighted,
                                                                     fit_intercept):
    """A fold's test MSE from the second moments of its test rows is the MSE of the
    predictions, for several targets and fits of any support (none too); where the sum of
    squares cancels (an exact fit of noiseless targets), the fit is flagged."""
    from sklreg.linear._cv import _mse_on_moments, _mse_on_rows
    from sklreg.linear._design import moments_design
    from sklreg.linear._least_squares import whole_data_moments

    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 12)) + rng.uniform(-5.0, 5.0, 12)
    coef = rng.standard_normal((12, 2))
    Y = X @ coef + 0.5 * rng.standard_normal((400, 2)) + 100.0
    sw = rng.uniform(0.5, 2.0, 400) if weighted else np.ones(400)
    parts = np.array_split(rng.permutation(400), 4)
    test = parts[1]
    moments = whole_data_moments(X, Y, sw if weighted else None, fit_intercept, parts)
    rest = np.sort(test)
    design = moments_design(moments, Y, sw if weighted else None, fit_intercept, rest)
    W = rng.standard_normal((5, 2, 12)) * (rng.random((5, 1, 12)) < 0.5)
    W[0] = 0.0
    W[1] = coef.T
    W[2, :, 3] = 0.0  # a column no fit uses
    intercepts = design.intercepts(W)[0]
    mse, cancelled = _mse_on_moments(W, intercepts, moments, moments.sums_of(rest),
                                     moments.part_products[1])
    assert_allclose(mse, _mse_on_rows(X[test], Y[test], sw[test], W, intercepts),
                    rtol=1e-11)
    assert not np.any(cancelled)

    exact = X @ coef + 100.0 * fit_intercept  # noiseless: fit 1 leaves rounding only
    moments = whole_data_moments(X, exact, sw if weighted else None, fit_intercept, parts)
    design = moments_design(moments, exact, sw if weighted else None, fit_intercept, rest)
    intercepts = design.intercepts(W)[0]
    mse, cancelled = _mse_on_moments(W, intercepts, moments, moments.sums_of(rest),
                                     moments.part_products[1])
    on_rows = _mse_on_rows(X[test], exact[test], sw[test], W, intercepts)
    assert_array_equal(cancelled, [False, True, False, False, False])
    assert on_rows[1] < 1e-20
    assert_allclose(mse[~cancelled], on_rows[~cancelled], rtol=1e-11)


def test_cv_on_noiseless_tall_data_finds_the_test_errors_of_its_predictions(monkeypatch):
    """Noiseless targets: the test errors of the smallest alphas, formed from the test
    rows' moments, would be rounding noise; they are those of the folds' predictions."""
    X, _ = problem(n_samples=1200, n_features=30, seed=4)
    y = X @ np.linspace(-2.0, 2.0, 30) + 7.0
    params = dict(penalty="l1", cv=KFold(3, shuffle=True, random_state=0), alphas=20,
                  eps=1e-8, tol=1e-12, max_iter=10**5)
    shared = LinearRegressorCV(**params).fit(X, y)
    monkeypatch.setattr(LinearRegressorCV, "_folds_share_moments", lambda *args: False)
    own = LinearRegressorCV(**params).fit(X, y)
    assert shared.mse_path_.min() < 1e-12 * np.var(y)
    assert_allclose(shared.mse_path_, own.mse_path_, rtol=1e-3)


def test_cv_routes_groups_to_the_splitter_as_lasso_cv():
    # with metadata routing, fit(..., groups=g) reaches a group splitter, nested in
    # cross_validate too, as in scikit-learn's LassoCV; without it, a clear error
    X, y = problem()
    groups = np.arange(len(y)) % 6
    with sklearn.config_context(enable_metadata_routing=True):
        model = LinearRegressorCV("l1", cv=GroupKFold(3), alphas=10, tol=1e-12,
                                  max_iter=10**5).fit(X, y, groups=groups)
        reference = LassoCV(cv=GroupKFold(3), alphas=10, tol=1e-14,
                            max_iter=10**5).fit(X, y, groups=groups)
        assert_allclose(model.alphas_, reference.alphas_, rtol=1e-12)
        assert_allclose(model.mse_path_, reference.mse_path_, rtol=1e-3)
        assert model.alpha_ == reference.alpha_
        scores = cross_validate(LinearRegressorCV("l1", cv=GroupKFold(3), alphas=5), X, y,
                                params={"groups": groups}, cv=GroupKFold(2))["test_score"]
        assert np.all(np.isfinite(scores))
        assert LinearRegressorCV().set_fit_request(sample_weight=True).fit(
            X, y, sample_weight=np.ones(len(y))).alpha_ > 0
        # the routing does not consume a generator of folds
        generated = LinearRegressorCV("l1", cv=GroupKFold(3).split(X, y, groups), alphas=10,
                                      tol=1e-12, max_iter=10**5).fit(X, y)
        assert_array_equal(generated.mse_path_, model.mse_path_)
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing"):
        LinearRegressorCV(cv=GroupKFold(3)).fit(X, y, groups=groups)


def test_cv_routes_the_given_sample_weights_to_the_splitter():
    # a splitter requesting the sample weights got them times the power of 4 that
    # check_sample_weight scales them by for the solvers
    X, y = problem()
    sample_weight = np.full(len(y), 10.0)
    seen = []

    class WeightedKFold(KFold):
        def split(self, X, y=None, groups=None, sample_weight=None):
            seen.append(sample_weight)
            return super().split(X, y, groups)

    with sklearn.config_context(enable_metadata_routing=True):
        splitter = WeightedKFold(3).set_split_request(sample_weight=True)
        LinearRegressorCV("l1", cv=splitter, alphas=3).set_fit_request(
            sample_weight=True).fit(X, y, sample_weight=sample_weight)
    assert len(seen) == 1
    assert_array_equal(seen[0], sample_weight)


def test_cv_rejects_a_splitter_without_folds():
    # a consumed generator of folds selected alpha_max silently (NaN mean errors)
    X, y = problem()
    model = LinearRegressorCV("l1", alphas=5, cv=KFold(3).split(X))
    model.fit(X, y)
    for fit in (lambda: model.fit(X, y), lambda: LinearRegressorCV(cv=[]).fit(X, y)):
        with pytest.raises(ValueError, match="yielded no folds"):
            fit()


@pytest.mark.parametrize("fit", ["path", "regressor_cv", "classifier_cv"])
def test_alphas_of_more_than_one_dimension_are_an_error(fit):
    """A 2-D ``alphas`` was flattened and sorted silently (``[[0.1, 0.2]]`` ran as
    ``[0.2, 0.1]``); the grid is 1-D, as scikit-learn's."""

    X, y = make_regression(40, 5, random_state=0)
    alphas = [[0.1, 0.2]]
    with pytest.raises(ValueError, match="1-D"):
        if fit == "path":
            regularization_path(X, y, penalty="l1", alphas=alphas)
        elif fit == "regressor_cv":
            LinearRegressorCV(penalty="l1", alphas=alphas, cv=3).fit(X, y)
        else:
            LinearClassifierCV(penalty="l1", alphas=alphas, cv=3).fit(X, y > 0)


@pytest.mark.parametrize("solver", ["gram", "cd"])
def test_cv_folds_as_negative_indices_or_masks_equal_index_folds(solver):
    """Folds given as negative indices or boolean masks (as numpy indexing, and
    ElasticNetCV, take them) select on the errors of the same folds given as indices
    (negative indices crashed the whole data's moments with a bincount ValueError)."""
    X, y = problem(n_samples=200, n_features=8, seed=3)
    folds = list(KFold(4).split(X))
    masks = []
    for _, test in folds:
        mask = np.zeros(200, dtype=bool)
        mask[test] = True
        masks.append((~mask, mask))
    params = dict(penalty="elasticnet", l1_ratio=0.5, alphas=10, solver=solver)
    reference = LinearRegressorCV(cv=folds, **params).fit(X, y)
    for cv in ([(train - 200, test - 200) for train, test in folds], masks):
        ours = LinearRegressorCV(cv=cv, **params).fit(X, y)
        assert_allclose(ours.mse_path_, reference.mse_path_, rtol=1e-10)
        assert ours.alpha_ == reference.alpha_


def test_default_l2_grids_bracket_the_held_out_optimum():
    """The automatic L2 grid holds the alpha of best held-out error inside it, on
    standardized and on raw data: a grid from glmnet's start (the alpha_max of
    l1_ratio=1e-3) selected its last value on standardized breast cancer and diabetes,
    where the optimum lay 100x lower, and its first on raw colon-like data."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

    cv = KFold(5, shuffle=True, random_state=0)
    X, y = load_diabetes(return_X_y=True)
    problems = [
        (LinearRegressorCV("l2", cv=cv), X, y),
        (LinearRegressorCV("l2", cv=cv), X * 1e3 + 5.0, y),
    ]
    for load in (load_breast_cancer, load_iris):
        X, y = load(return_X_y=True)
        problems.append((LinearClassifierCV(cv=cv, scoring="neg_log_loss", max_iter=1000),
                         StandardScaler().fit_transform(X), y))
    for model, X, y in problems:
        model.fit(X, y)
        grid = np.ravel(model.alphas_)
        assert grid[0] > model.alpha_ > grid[-1]
        wide = clone(model).set_params(alphas=np.geomspace(grid[0] * 1e4, grid[-1] * 1e-4, 60))
        wide.fit(X, y)
        if hasattr(model, "mse_path_"):
            best, wide_best = model.mse_path_.mean(-1).min(), wide.mse_path_.mean(-1).min()
        else:
            best, wide_best = -model.scores_.mean(-1).max(), -wide.scores_.mean(-1).max()
        assert best <= 1.01 * wide_best


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_l2_grid_top_follows_the_scale_of_the_data(sparse, scale):
    """The L2 grid's start (10 times the datafit's largest curvature) scales as X**2 over
    the whole range the estimators accept: the power iteration's norms overflowed (the
    squares of values near 1e150) or underflowed (near 1e-150) to an estimate of 0, and a
    grid of the smallest float (alpha = 2e-308, unpenalized fits with infinite gaps)."""

    X, y = problem(sparse=sparse)
    labels = (y > np.median(y)).astype(int) + (y > np.quantile(y, 0.8))
    for make in (
        lambda X: regularization_path(X, y, penalty="l2", n_alphas=5).alphas,
        lambda X: LinearRegressorCV("l2", alphas=5, cv=2).fit(X, y).alphas_,
        lambda X: LinearClassifierCV(alphas=5, cv=2, max_iter=1).fit(X, labels).alphas_,
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference, scaled = make(X), make(X * scale)
        assert np.all(np.isfinite(scaled))
        assert_allclose(scaled, reference * scale**2, rtol=1e-6)


def test_largest_curvature_of_float32_data_makes_no_float64_copy():
    """The power iteration multiplies a float32 design in its own dtype: products with
    float64 vectors converted the whole design to float64 at each of the 20 iterations
    (twice its memory, and 10 times the time of a float64 design)."""
    import tracemalloc

    from sklreg.linear._path import largest_curvature

    X = np.random.RandomState(0).standard_normal((3000, 200)) + 5.0
    offsets, row_scale, row_weights = X.mean(axis=0), np.ones(len(X)), np.full(len(X), 1e-3)
    reference = largest_curvature(X, offsets, row_scale, row_weights)
    X32 = X.astype(np.float32)
    tracemalloc.start()
    try:
        estimate = largest_curvature(X32, offsets, row_scale, row_weights)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X32.nbytes / 4
    assert estimate == pytest.approx(reference, rel=1e-4)
    Xc = X - offsets
    top = np.linalg.eigvalsh(Xc.T @ Xc * 1e-3)[-1]  # approached from below
    assert 0.9 * top <= reference <= (1 + 1e-12) * top


def test_l2_grid_of_a_curvature_beyond_float64_is_finite():
    """Values accepted by the estimators (squares summing below the largest float) on many
    columns give a curvature beyond float64: the grid then starts at a finite value, not
    at inf (a grid of NaN)."""
    from sklreg.linear._design import prepare_design
    from sklreg.linear._path import alpha_grid, alpha_grid_top

    X = np.random.RandomState(0).standard_normal((40, 100_000)) * 2e152
    design = prepare_design(X, np.ones((40, 1)), None, True, fortran=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        grid = alpha_grid(alpha_grid_top(design, 0.0), 3, 1e-3, 0.0)
    assert np.all(np.isfinite(grid)) and grid[-1] == pytest.approx(1e-6 * grid[0])


@pytest.mark.parametrize("alphas, penalty", [([1.0, 0.1, 0.0], "l1"), (None, "l2"),
                                             (None, "elasticnet")])
def test_refit_on_shared_moments_matches_linear_regressor(alphas, penalty, monkeypatch):
    """The refit from the folds' moments is LinearRegressor's fit at alpha_ (an unpenalized
    alpha_ included: solved directly), multi-target and positive too."""
    from sklreg.linear import _cv

    refits = []
    moments_design = _cv.moments_design

    def counted(*args):
        if len(args) == 4:  # the refit's (a fold's passes the rows it leaves out too)
            refits.append(1)
        return moments_design(*args)

    monkeypatch.setattr(_cv, "moments_design", counted)
    rng = np.random.RandomState(2)
    X = rng.randn(3000, 60) + rng.uniform(-3, 3, 60)
    Y = X[:, :6] @ rng.randn(6, 2) + 0.1 * rng.randn(3000, 2)
    l1_ratio = [0.0, 0.5] if penalty == "elasticnet" else 0.5
    for positive in (False, True):
        cv = LinearRegressorCV(penalty, l1_ratio=l1_ratio, alphas=alphas or 20,
                               positive=positive, tol=1e-12, max_iter=10**5,
                               cv=KFold(3)).fit(X, Y)
        refit = LinearRegressor(penalty, alpha=cv.alpha_, l1_ratio=cv.l1_ratio_,
                                positive=positive, tol=1e-12, max_iter=10**5).fit(X, Y)
        if alphas is not None and not positive:
            assert cv.alpha_ == 0.0
        # both within a relative gap of 1e-12 (weights within ~1e-8 along weak directions)
        assert_allclose(cv.coef_, refit.coef_, rtol=1e-6, atol=1e-7)
        for k in range(2):
            ours, theirs = (objective(X, Y[:, k], model.coef_[k], model.intercept_[k],
                                      cv.alpha_, cv.l1_ratio_) for model in (cv, refit))
            assert abs(ours - theirs) <= 1e-11 * theirs
    assert len(refits) == (0 if penalty == "l2" else 2)  # an L2 path solves directly


def test_cv_l2_path_on_an_overflowing_gram_matrix_solves_on_the_design(monkeypatch):
    """A fold's Gram matrix from the whole data's moments that overflowed (a column near
    1e150 with weights 1e8: inf - inf) is no ridge system: LAPACK's eigh may loop forever
    on its NaNs. The L2 path of such a fold solves on its design, as before its Gram
    matrix served, and its coefficients are finite."""
    import sklreg.linear._path as path_module

    spectral_ridge = path_module.spectral_ridge

    def finite_only(K, B, back=None):
        assert np.all(np.isfinite(K)) and np.all(np.isfinite(B))
        return spectral_ridge(K, B, back)

    monkeypatch.setattr(path_module, "spectral_ridge", finite_only)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 60))
    y = X @ rng.standard_normal(60) + rng.standard_normal(3000)
    X[:, 0] *= 1e150
    sw = np.ones(3000)
    sw[:300] = 1e8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LinearRegressorCV("elasticnet", l1_ratio=[0.0, 0.5], alphas=5, cv=5).fit(
            X, y, sample_weight=sw)
    assert np.all(np.isfinite(model.mse_path_[0]))


@pytest.mark.parametrize("penalty, scale, eps", [("l2", 1.0, 1e-200), ("l1", 1e-150, 1e-30)])
def test_automatic_grid_whose_bottom_underflows_ends_at_the_smallest_normal(penalty, scale,
                                                                            eps):
    # eps ** 2 (L2) or eps * alpha_max underflowed to 0: numpy's geomspace then raised
    # "Geometric sequence cannot include zero"
    rng = np.random.RandomState(0)
    X = rng.standard_normal((50, 4)) * scale
    y = X[:, 0] + 0.1 * scale * rng.standard_normal(50)
    tiny = np.finfo(np.float64).tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # alphas near 0 certify poorly
        path = regularization_path(X, y, penalty=penalty, n_alphas=4, eps=eps)
        cv = LinearRegressorCV(penalty, alphas=4, eps=eps, cv=2).fit(X, y)
    for alphas in (path.alphas, cv.alphas_):
        assert alphas[-1] == tiny
        assert np.all(alphas > 0) and np.all(np.diff(alphas) < 0)


def _degenerate_regression_designs():
    """``(X, y, sample_weight, penalties)`` on which every alpha of the listed penalties
    gives the same model (w = 0): constant features with an intercept (with rounding in
    their weighted means: 0.1, float32 near 7e5, sparse), all-zero features, a constant
    target (for an L1 part, whose alpha_max is then 0)."""
    rng = np.random.RandomState(0)
    y = rng.standard_normal(30)
    sw = rng.uniform(0.5, 2, 30)
    every = ("l1", "elasticnet", "l2")
    return [
        (np.full((30, 3), 5.0), y, None, every),
        (np.full((30, 3), 0.1), y, sw, every),
        (np.full((30, 3), 7e5, dtype=np.float32), y, sw, every),
        (sp.csc_matrix(np.full((30, 3), 0.1)), y, sw, every),
        (np.zeros((30, 3)), y, None, every),
        (rng.standard_normal((30, 3)), np.full(30, 0.1), sw, ("l1", "elasticnet")),
    ]


@pytest.mark.parametrize("case", range(6))
def test_automatic_grid_where_alpha_changes_nothing_starts_at_one(case):
    """Where every alpha gives w = 0, the automatic grid's top (alpha_max, or the L2
    curvature) is 0 -- or the rounding of the centering of constant columns (1e-61 to
    1e-10): the grid sat at 2.2e-308 or at that noise, alpha_ with it, and fits there
    warned (a direct solve's gap of 3e272 on the float32 columns). It now starts at 1, as
    a data-free grid (scikit-learn's RidgeCV and LogisticRegressionCV), without warnings,
    and the flat held-out errors select its top."""
    X, y, sw, penalties = _degenerate_regression_designs()[case]
    mean = np.average(y, weights=sw)
    for penalty in penalties:
        expected = np.geomspace(1.0, 1e-3 if penalty != "l2" else 1e-6, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            path = regularization_path(X, y, penalty=penalty, n_alphas=4, sample_weight=sw)
            cv = LinearRegressorCV(penalty, alphas=4, cv=3).fit(X, y, sample_weight=sw)
        assert_allclose(path.alphas, expected, rtol=1e-12)
        assert_allclose(cv.alphas_, expected, rtol=1e-12)
        if X.dtype == np.float64:  # (float32 folds fit what centering them leaves: 1e-5)
            assert cv.alpha_ == 1.0
        assert_allclose(path.coefs, 0.0, atol=1e-9)
        assert_allclose(cv.predict(X), mean, rtol=1e-6)


def test_constant_columns_leave_the_grid_to_the_varying_ones():
    """With an intercept, constant columns contribute nothing to alpha_max or to the L2
    curvature: the grid is that of the varying columns alone, not moved by the rounding
    of the constant columns' centering."""
    rng = np.random.RandomState(1)
    varying = rng.standard_normal((40, 2)) * 1e-6
    y = varying @ [1e6, -2e6] + rng.standard_normal(40)
    X = np.hstack([np.full((40, 3), 7e5), varying]).astype(np.float32)
    sw = rng.uniform(0.5, 2, 40)
    for penalty in ("l1", "l2"):
        ours = regularization_path(X, y, penalty=penalty, n_alphas=3, sample_weight=sw)
        alone = regularization_path(X[:, 3:], y, penalty=penalty, n_alphas=3,
                                    sample_weight=sw)
        assert_allclose(ours.alphas, alone.alphas, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weights", ["none", "zeros", "one_positive"])
def test_varying_columns_are_the_columns_not_constant_on_weighted_rows(dtype, weights):
    """The dense shortcut (the first two rows, then the undecided columns on all rows)
    against the definition: smallest and largest entry on the rows of positive weight."""
    from sklreg.linear._path import column_ranges, varying_columns

    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, size=(12, 40)).astype(dtype)  # ties in the first rows
    X[:, :5] = 7.0
    X[5, 3] = 1.0  # constant but for one row
    sample_weight = {"none": None, "zeros": np.where(np.arange(12) == 5, 0.0, 1.0),
                     "one_positive": np.where(np.arange(12) == 2, 1.0, 0.0)}[weights]
    low, high = column_ranges(X, sample_weight)
    expected = low < high
    assert_array_equal(varying_columns(X, sample_weight, True), expected)
    assert_array_equal(varying_columns(np.asfortranarray(X), sample_weight, True), expected)
    assert_array_equal(varying_columns(sp.csc_matrix(X), sample_weight, True), expected)
    assert varying_columns(X, sample_weight, False).all()
    if weights == "zeros":
        assert not expected[3] and expected[5:].any()


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_column_ranges_count_implicit_zeros_and_duplicates(fmt, dtype):
    """The one-pass kernel against the dense minima and maxima: implicit zeros count,
    explicit zeros are values, duplicate entries are summed, zero-weight rows are out."""
    from sklreg.linear._path import column_ranges

    rng = np.random.RandomState(0)
    dense = rng.randint(-2, 3, size=(9, 12)).astype(dtype)
    dense[:, 0] = 0.0  # an empty column
    dense[:, 1] = 5.0  # a full, constant one
    weights = np.where(np.arange(9) == 4, 0.0, 1.0)
    for sample_weight, rows in [(None, slice(None)), (weights, weights > 0)]:
        expected = (dense[rows].min(axis=0), dense[rows].max(axis=0))
        X = sp.csr_matrix(dense)
        X.data[X.data == 1.0] = 0.0  # explicit zeros
        assert_array_equal(column_ranges(X.asformat(fmt), sample_weight),
                           (np.where(dense[rows] == 1.0, 0.0, dense[rows]).min(axis=0),
                            np.where(dense[rows] == 1.0, 0.0, dense[rows]).max(axis=0)))
        assert_array_equal(column_ranges(sp.csr_matrix(dense).asformat(fmt), sample_weight),
                           expected)
    # the entry (0, 2) stored twice, as 3 and -1: the matrix holds 2 there
    duplicated = sp.csr_matrix((np.array([3.0, -1.0], dtype=dtype), np.array([2, 2]),
                                np.array([0, 2, 2])), shape=(2, 4))
    low, high = column_ranges(duplicated.asformat(fmt) if fmt != "csr" else duplicated, None)
    assert_array_equal(low, [0.0, 0.0, 0.0, 0.0])
    assert_array_equal(high, [0.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize(("seed", "n_samples", "n_features", "effective_rank"),
                         [(0, 30, 80, 26), (28, 30, 80, 26), (27, 100, 20, None)])
def test_path_weights_whose_optimum_is_zero_are_exactly_zero(seed, n_samples, n_features,
                                                             effective_rank):
    """Anderson extrapolation combines the last iterates of descent: a weight that descent
    had moved off zero and back was moved off it again (3e-7, 8e-7, 2e-7 here, with the
    gradient 3 - 7% inside the L1 bound), and the fit met its gap right there, after 6
    epochs, so the path reported it. Every weight whose gradient is inside the bound is
    now exactly zero, and the others satisfy the optimality conditions."""
    X, y = make_regression(n_samples, n_features, n_informative=n_features // 5, noise=1.0,
                           effective_rank=effective_rank, random_state=seed)
    path = regularization_path(X, y, penalty="elasticnet", l1_ratio=0.5, n_alphas=30,
                               tol=1e-11, solver="cd")
    for i, alpha in enumerate(path.alphas):
        coef = path.coefs[:, i]
        residual = y - X @ coef - path.intercepts[i]
        grad = X.T @ residual / len(y) - 0.5 * alpha * coef
        inside = np.abs(grad) < 0.99 * 0.5 * alpha
        assert_array_equal(coef[inside], 0.0)
        nonzero = coef != 0
        assert_allclose(grad[nonzero], 0.5 * alpha * np.sign(coef[nonzero]), rtol=1e-3)


@pytest.mark.parametrize(("seed", "n_samples", "n_features", "effective_rank"),
                         [(0, 30, 80, 26), (28, 30, 80, 26), (27, 100, 20, None)])
def test_path_gaps_bound_suboptimality_after_extrapolation(seed, n_samples, n_features,
                                                           effective_rank):
    """Where an extrapolation met the gap but moved weights off zero (these problems, at
    some alphas), descent over those weights follows, and the gap reported is the dual
    bound met before it, against the objective after it: it must still bound the
    suboptimality (the steps lower the objective), at a loose and a tight tolerance."""
    X, y = make_regression(n_samples, n_features, n_informative=n_features // 5, noise=1.0,
                           effective_rank=effective_rank, random_state=seed)
    null = 0.5 * np.var(y)
    for tol in (1e-5, 1e-11):
        path = regularization_path(X, y, penalty="elasticnet", l1_ratio=0.5, n_alphas=30,
                                   tol=tol, solver="cd")
        _, reference, _ = enet_path(X - X.mean(0), y - y.mean(), l1_ratio=0.5,
                                    alphas=path.alphas, tol=1e-14, max_iter=10**6)
        for i, alpha in enumerate(path.alphas):
            ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 0.5)
            optimum = objective(X, y, reference[:, i], y.mean() - X.mean(0) @ reference[:, i],
                                alpha, 0.5)
            assert ours - optimum <= path.dual_gaps[i] + 1e-13 * null
            assert path.dual_gaps[i] <= tol * null


def test_float32_path_keeps_the_certificate_of_its_descent():
    """A float32 design's coefficients are certified as rounded (certify_rounded), from
    the gap of their own dual point; that point can be far worse than the best one the
    descent met (its ``gap``): after a Newton step on a support missing a feature, the
    residual violates that feature's constraint and its rescaling costs 50x the gap. On
    30 x 200, a warm-started L1 fit stopped certified (gap 0.07 < 0.1) after 3 epochs was
    reported at 3.98, with a ConvergenceWarning, at 5 of 30 alphas; float64: none."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 200))
    w = np.zeros(200)
    w[:5] = rng.standard_normal(5) * 3
    y = X @ w + rng.standard_normal(30)
    null = 0.5 * np.mean((y - y.mean()) ** 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        path = regularization_path(X.astype(np.float32), y, eps=1e-3, n_alphas=30)
    assert np.all(path.dual_gaps <= 1e-4 * null)
    _, reference, _ = enet_path(X - X.mean(0), y - y.mean(), alphas=path.alphas, tol=1e-14,
                                max_iter=10**6)
    for i, alpha in enumerate(path.alphas):
        ours = objective(X, y, path.coefs[:, i], path.intercepts[i], alpha, 1.0)
        best = objective(X - X.mean(0), y - y.mean(), reference[:, i], 0.0, alpha, 1.0)
        assert ours - best <= path.dual_gaps[i] + 1e-9 * null


def test_path_takes_a_scalar_sample_weight_as_the_estimators_do():
    """A float weight is every sample's: the weighted means are the unweighted ones. The
    path refused it (InvalidParameterError) where LinearRegressor and the CV fits take it."""
    X, y = problem(sparse=False, seed=2)
    plain = regularization_path(X, y, penalty="l1", n_alphas=5, tol=1e-10)
    scalar = regularization_path(X, y, penalty="l1", n_alphas=5, tol=1e-10, sample_weight=2.5)
    assert_allclose(scalar.alphas, plain.alphas, rtol=1e-14)
    assert_allclose(scalar.coefs, plain.coefs, rtol=1e-8, atol=1e-12)
    fit = LinearRegressor("l1", alpha=plain.alphas[2], tol=1e-10).fit(X, y, sample_weight=2.5)
    assert_allclose(scalar.coefs[..., 2].ravel(), fit.coef_, rtol=1e-7, atol=1e-10)
    with pytest.raises(ValueError, match="sample_weight"):
        regularization_path(X, y, sample_weight=-1.0)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("stored", ["many", "few"])
def test_sparse_tall_path_runs_on_the_gram_matrix_when_it_stores_enough(fmt, stored,
                                                                         monkeypatch):
    """An 'auto' L1 path on a sparse design of at least two samples per feature storing
    many entries per feature (dna-like: 25%) runs on X^T X from the first alpha, with no
    descent on the design; one storing few (0.5% of 1000 features) stays on the design.
    Either way it reaches enet_path's objectives."""
    from sklreg.linear import _least_squares

    rng = np.random.RandomState(0)
    shape, density = ((400, 150), 0.25) if stored == "many" else ((2000, 1000), 0.005)
    X = sp.random(*shape, density=density, format=fmt, random_state=rng)
    y = np.asarray(X @ (rng.randn(X.shape[1]) * (rng.rand(X.shape[1]) < 0.1))).ravel()
    y += 0.1 * rng.randn(X.shape[0])
    sw = rng.uniform(0.5, 2.0, X.shape[0])
    calls = {"design": 0}
    on_design = _least_squares._cd_on_design

    def counted(design, W, gaps, n_iter, targets, *args, **kwargs):
        calls["design"] += len(targets) > 0
        return on_design(design, W, gaps, n_iter, targets, *args, **kwargs)

    monkeypatch.setattr(_least_squares, "_cd_on_design", counted)
    path = regularization_path(X, y, penalty="l1", n_alphas=30, sample_weight=sw,
                               tol=1e-10, max_iter=10**5)
    assert (calls["design"] == 0) == (stored == "many")
    X_dense = X.toarray()
    center = np.average(X_dense, axis=0, weights=sw)
    y_center = np.average(y, weights=sw)
    root = np.sqrt(sw / sw.mean())[:, None]  # the weighted problem, unweighted
    alphas, coefs, _ = enet_path(root * (X_dense - center), root[:, 0] * (y - y_center),
                                 alphas=path.alphas, tol=1e-14, max_iter=10**5)
    null = objective(X_dense, y, np.zeros(X.shape[1]), y_center, 1.0, 1.0, sw)
    for i, alpha in enumerate(alphas):
        ours = objective(X_dense, y, path.coefs[:, i], path.intercepts[i], alpha, 1.0, sw)
        theirs = objective(X_dense, y, coefs[:, i], y_center - center @ coefs[:, i], alpha,
                           1.0, sw)
        assert ours <= theirs + 2e-10 * null
