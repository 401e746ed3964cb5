"""LinearClassifierCV: the path scores equal independent fits, selection and refit."""

import dataclasses
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, UnsetMetadataPassedError
from sklearn.metrics import accuracy_score, get_scorer, log_loss, make_scorer
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, cross_validate
from test_linear_classifier import make_data

from sklreg import LinearClassifier, LinearClassifierCV


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_scores_match_independent_fits(n_classes, scoring):
    X, y = make_data(n_classes, n_samples=90)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    alphas = [0.1, 0.03, 0.01, 0.003]
    cv = KFold(3, shuffle=True, random_state=0)
    model = LinearClassifierCV("elasticnet", l1_ratio=[0.3, 0.9], alphas=alphas, cv=cv,
                               scoring=scoring, tol=1e-12).fit(X, y, sample_weight)
    assert model.scores_.shape == (2, 4, 3)
    for i, ratio in enumerate([0.3, 0.9]):
        for a, alpha in enumerate(alphas):
            for k, (train, test) in enumerate(cv.split(X, y)):
                fold = LinearClassifier("elasticnet", alpha=alpha, l1_ratio=ratio,
                                        tol=1e-12).fit(X[train], y[train], sample_weight[train])
                if scoring is None:
                    expected = accuracy_score(y[test], fold.predict(X[test]),
                                              sample_weight=sample_weight[test])
                else:
                    expected = -log_loss(y[test], fold.predict_proba(X[test]),
                                         sample_weight=sample_weight[test])
                assert_allclose(model.scores_[i, a, k], expected, atol=1e-6)
    best = np.unravel_index(np.argmax(model.scores_.mean(axis=2)), (2, 4))
    assert model.l1_ratio_ == [0.3, 0.9][best[0]]
    assert model.alpha_ == alphas[best[1]]
    refit = LinearClassifier("elasticnet", alpha=model.alpha_, l1_ratio=model.l1_ratio_,
                             tol=1e-12).fit(X, y, sample_weight)
    assert_allclose(model.coef_, refit.coef_, atol=1e-6)
    assert_allclose(model.predict_proba(X), refit.predict_proba(X), atol=1e-6)


def test_log_loss_of_folds_lacking_a_class():
    """A held-out part without some class is scored on all the classes (``labels``), as
    LogisticRegressionCV does: log_loss would otherwise infer fewer classes from it than
    the probabilities have."""
    rng = np.random.RandomState(6)
    X = rng.randn(40, 6)
    y = np.digitize(X[:, 0] + 0.5 * rng.randn(40), [-0.5, 0.5])
    y[7] = 3  # a single sample of class 3: held out by one fold only
    alphas = [0.1, 0.01]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class has fewer members than folds
        model = LinearClassifierCV(alphas=alphas, scoring="neg_log_loss", tol=1e-12).fit(X, y)
        folds = list(StratifiedKFold(5).split(X, y))
    assert np.all(np.isfinite(model.scores_))
    for k, (train, test) in enumerate(folds):
        if 3 not in y[train]:  # its training part has no sample of class 3
            assert 3 in y[test]
            continue
        assert 3 not in y[test]
        for a, alpha in enumerate(alphas):
            fold = LinearClassifier(alpha=alpha, tol=1e-12).fit(X[train], y[train])
            expected = -log_loss(y[test], fold.predict_proba(X[test]), labels=[0, 1, 2, 3])
            assert_allclose(model.scores_[a, k], expected, atol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_automatic_grid_starts_at_alpha_max(n_classes):
    X, y = make_data(n_classes)
    model = LinearClassifierCV("l1", alphas=5, eps=1e-2, cv=3, tol=1e-10).fit(X, y)
    alphas = model.alphas_
    assert alphas.shape == (5,)
    assert_allclose(alphas[-1] / alphas[0], 1e-2)
    assert_array_equal(LinearClassifier("l1", alpha=alphas[0] * 1.0001).fit(X, y).coef_, 0.0)
    assert np.count_nonzero(LinearClassifier("l1", alpha=alphas[0] * 0.95).fit(X, y).coef_)


def test_parallel_sparse_and_string_labels():
    X, y = make_data(3, n_samples=90)
    X[np.abs(X) < 0.5] = 0.0
    names = np.array(["a", "b", "c"])[y]
    kwargs = {"penalty": "l1", "alphas": 6, "eps": 0.05, "cv": 3, "tol": 1e-12,
              "scoring": "neg_log_loss"}
    serial = LinearClassifierCV(**kwargs).fit(X, names)
    parallel = LinearClassifierCV(**kwargs, n_jobs=2).fit(X, names)
    assert_array_equal(parallel.scores_, serial.scores_)
    sparse = LinearClassifierCV(**kwargs, n_jobs=2).fit(sp.csr_matrix(X), names)
    assert_allclose(sparse.scores_, serial.scores_, atol=1e-6)
    assert sparse.alpha_ == pytest.approx(serial.alpha_, rel=1e-12)
    assert_allclose(sparse.coef_, serial.coef_, atol=1e-5)
    assert_array_equal(sparse.classes_, ["a", "b", "c"])
    assert set(sparse.predict(X)) <= {"a", "b", "c"}


def test_reproducer_fold_of_one_class_warns_no_convergence():
    """3 samples, 2 stratified folds: one training part holds only class 0. Its target
    ``tol * P_null`` was -0 (the intercept-only loss has the infimum 0), and Newton warned
    after max_iter=100 of a duality gap of 4.9e-324 at the smallest alpha."""
    X = np.random.default_rng(0).standard_normal((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearClassifierCV(alphas=3, cv=2).fit(X, [0, 1, 0])
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("zeroed_by", ["labels", "sample_weight", "class_weight"])
def test_fold_training_on_one_class_runs_no_iterations(zeroed_by, n_classes, penalty):
    """A training part where one class has positive weight (its only labels, or sample or
    class weights zeroing the others) is solved in closed form at every alpha: no
    iterations, the loss of the cap on the other classes' probabilities (``2**-104``) as
    the gap; the solvers chased the intercept to max_iter (Newton, L-BFGS or proximal
    Newton) and warned of a gap above a target of -0. With class weights leaving one
    class in all the data, every fold and the refit are so (they raised a ValueError)."""
    X, y = make_data(n_classes, n_samples=60, n_features=5)
    folds = [(np.arange(30), np.arange(30, 60)), (np.arange(30, 60), np.arange(30))]
    sample_weight, class_weight = np.ones(len(y)), None
    if zeroed_by == "labels":
        folds[0] = (np.flatnonzero(y == 1), np.flatnonzero(y != 1))
    elif zeroed_by == "sample_weight":
        sample_weight[:30] = y[:30] == 1
    else:
        class_weight = {k: float(k == 1) for k in range(n_classes)}
    params = dict(penalty=penalty, l1_ratio=0.5, alphas=[1.0, 1e-2, 1e-4], cv=folds,
                  class_weight=class_weight, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        folds_fits = LinearClassifierCV(refit=False, **params).fit(X, y, sample_weight)
        refit = LinearClassifierCV(**params).fit(X, y, sample_weight)
    one_class = [0, 1] if zeroed_by == "class_weight" else [0]
    assert_array_equal(folds_fits.n_iter_[one_class], 0)
    assert np.all(folds_fits.dual_gap_[one_class] > 0.0)
    assert np.all(folds_fits.dual_gap_[one_class] <= n_classes * 2.0**-104)
    assert np.isfinite(folds_fits.scores_).all()
    if zeroed_by == "class_weight":
        assert refit.n_iter_ == 0 and 0.0 < refit.dual_gap_ <= n_classes * 2.0**-104
        assert_array_equal(refit.coef_, 0.0)
        assert_array_equal(refit.predict(X), 1)


def test_bad_parameters():
    X, y = make_data(2)
    with pytest.raises(ValueError, match="l1_ratio"):
        LinearClassifierCV("elasticnet", l1_ratio=[0.5, 1.5]).fit(X, y)
    with pytest.raises(ValueError, match="alphas"):
        LinearClassifierCV(alphas=[-1.0]).fit(X, y)
    with pytest.raises(ValueError, match="penalty"):
        LinearClassifierCV(penalty=None).fit(X, y)
    with pytest.raises(ValueError, match="one class"):
        LinearClassifierCV().fit(X, np.ones(len(y)))


def test_callable_scoring_without_sample_weight():
    """A plain ``scorer(estimator, X, y)`` works when ``fit`` has no sample weights (it
    was called with ``sample_weight=None`` and failed); given weights reach it."""
    X, y = make_data(2, n_samples=60)
    seen = []

    def scorer(estimator, X, y):
        return accuracy_score(y, estimator.predict(X))

    def weighted_scorer(estimator, X, y, sample_weight=None):
        seen.append(sample_weight)
        return accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)

    alphas = [0.1, 0.01]
    model = LinearClassifierCV(alphas=alphas, cv=3, scoring=scorer, tol=1e-10).fit(X, y)
    reference = LinearClassifierCV(alphas=alphas, cv=3, tol=1e-10).fit(X, y)
    assert_array_equal(model.scores_, reference.scores_)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    LinearClassifierCV(alphas=alphas, cv=3, scoring=weighted_scorer).fit(X, y, sample_weight)
    assert len(seen) == 6 and all(len(weights) == 20 for weights in seen)


def test_fold_fits_warn_when_they_do_not_converge():
    """A fold's fit stopped by ``max_iter`` warns (its scores are of an unconverged model),
    not only the refit on all the data."""
    X, y = make_data(3, n_samples=90)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        LinearClassifierCV("l1", alphas=[0.1, 0.01], cv=3, max_iter=1, tol=1e-12).fit(X, y)
    messages = [str(w.message) for w in record if w.category is ConvergenceWarning]
    assert sum("at alpha=0.01 " in message for message in messages) == 3  # one a fold
    assert sum("at alpha=" in message for message in messages) == 6  # 3 folds, 2 alphas


def test_nan_scores_rank_last():
    """Precision with ``zero_division=np.nan`` is NaN where no sample is predicted
    positive (the all-zero model at alpha_max): that alpha was selected (np.argmax picks
    the first NaN), as GridSearchCV would not."""
    from sklearn.metrics import make_scorer, precision_score

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 6))
    y = (X[:, :3] @ [1.0, -1.0, 0.5] + 0.5 * rng.standard_normal(100) > 0.8).astype(int)
    scoring = make_scorer(precision_score, zero_division=np.nan)
    with pytest.warns(UserWarning, match="are NaN"):
        model = LinearClassifierCV("l1", alphas=6, scoring=scoring, cv=3).fit(X, y)
    mean = model.scores_.mean(axis=1)
    assert np.isnan(mean[0])
    assert model.alpha_ == model.alphas_[np.nanargmax(mean)]
    assert np.any(model.coef_ != 0.0)


def test_metadata_routing_as_logistic_regression_cv():
    """With metadata routing, ``groups`` reach a group splitter (nested in cross_validate
    too) and the scorer gets the sample weights only when it requests them, as in
    scikit-learn's LogisticRegressionCV; without routing, extra metadata is an error."""
    X, y = make_data(3, n_samples=90)
    groups = np.arange(len(y)) % 6
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    alphas = [0.1, 0.01]
    folds = list(GroupKFold(3).split(X, y, groups))
    given = LinearClassifierCV(alphas=alphas, cv=folds, scoring="neg_log_loss",
                               tol=1e-12).fit(X, y, sample_weight)
    with sklearn.config_context(enable_metadata_routing=True):
        weighted = get_scorer("neg_log_loss").set_score_request(sample_weight=True)
        model = LinearClassifierCV(alphas=alphas, cv=GroupKFold(3), scoring=weighted,
                                   tol=1e-12).fit(X, y, sample_weight, groups=groups)
        assert_allclose(model.scores_, given.scores_, rtol=1e-12)
        unweighted = get_scorer("neg_log_loss").set_score_request(sample_weight=False)
        model = LinearClassifierCV(alphas=alphas, cv=GroupKFold(3), scoring=unweighted,
                                   tol=1e-12).fit(X, y, sample_weight, groups=groups)
        for k, (train, test) in enumerate(folds):
            fold = LinearClassifier(alpha=alphas[1], tol=1e-12).fit(
                X[train], y[train], sample_weight[train])
            expected = -log_loss(y[test], fold.predict_proba(X[test]))
            assert_allclose(model.scores_[1, k], expected, atol=1e-6)
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            LinearClassifierCV(alphas=alphas, cv=3).fit(X, y, sample_weight)
        # the routing does not consume a generator of folds
        generated = LinearClassifierCV(alphas=alphas, cv=iter(folds), scoring=unweighted,
                                       tol=1e-12).fit(X, y, sample_weight)
        assert_array_equal(generated.scores_, model.scores_)
        scores = cross_validate(LinearClassifierCV(alphas=alphas, cv=GroupKFold(3)), X, y,
                                params={"groups": groups}, cv=GroupKFold(2))["test_score"]
        assert np.all(np.isfinite(scores))
    with pytest.raises(ValueError, match="only supported if enable_metadata_routing"):
        LinearClassifierCV(cv=GroupKFold(3)).fit(X, y, groups=groups)


def test_rejects_a_splitter_without_folds():
    # a consumed generator of folds selected the first alpha silently (NaN mean scores)
    X, y = make_data(2, n_samples=60)
    model = LinearClassifierCV(alphas=3, cv=KFold(3).split(X))
    model.fit(X, y)
    for fit in (lambda: model.fit(X, y), lambda: LinearClassifierCV(cv=[]).fit(X, y)):
        with pytest.raises(ValueError, match="yielded no folds"):
            fit()


def test_logistic_regression_cv_conversion_is_per_training_part():
    """``LogisticRegressionCV(Cs)`` fits each fold at ``alpha = 1 / (C * S_train)``: with
    those alphas the held-out scores and the choice are its own (the docstring said
    ``1 / (Cs * S)``: scores off by 2e-2 here, and another grid point chosen on the whole
    set with 5 stratified folds)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[:560]), y[:560]
    folds = list(KFold(5, shuffle=True, random_state=0).split(X, y))  # 448 training rows each
    Cs = np.geomspace(1e-3, 10, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's FutureWarnings
        theirs = LogisticRegressionCV(Cs=Cs, cv=folds, scoring="neg_log_loss", tol=1e-10,
                                      max_iter=10_000).fit(X, y)
    ours = LinearClassifierCV("l2", alphas=1 / (Cs * 448), cv=folds, scoring="neg_log_loss",
                              tol=1e-10).fit(X, y)
    assert_allclose(ours.scores_.T, theirs.scores_[1], rtol=1e-4)  # 2e-2 with 1 / (Cs * S)
    assert ours.alpha_ * 448 == pytest.approx(1 / theirs.C_[0])


def test_scorer_gets_the_given_sample_weights():
    """The scorer of the held-out parts gets the sample weights as given to ``fit``, with
    and without metadata routing, as in scikit-learn's LogisticRegressionCV (it got them
    times a power of 4, the scale the solvers work at: a weighted count of correct
    predictions was 16 times too small with weights of 10)."""
    X, y = make_data(2, n_samples=60)
    sample_weight = np.full(len(y), 10.0)
    sample_weight[::3] = 3.0
    folds = list(StratifiedKFold(3).split(X, y))
    seen = []

    def weighted_count(estimator, X, y, sample_weight=None):
        seen.append(sample_weight)
        return accuracy_score(y, estimator.predict(X), normalize=False,
                              sample_weight=sample_weight)

    model = LinearClassifierCV(alphas=[0.1], cv=folds, scoring=weighted_count, tol=1e-10)
    model.fit(X, y, sample_weight)
    for (_, test), weights in zip(folds, seen, strict=True):
        assert_array_equal(weights, sample_weight[test])
    counts = [accuracy_score(y[test], model.predict(X[test]), normalize=False,
                             sample_weight=sample_weight[test]) for _, test in folds]
    refit = LinearClassifier(alpha=0.1, tol=1e-10)
    fold_counts = [weighted_count(refit.fit(X[train], y[train], sample_weight[train]),
                                  X[test], y[test], sample_weight[test])
                   for train, test in folds]
    assert_allclose(model.scores_[0], fold_counts)
    assert model.score(X, y, sample_weight) == pytest.approx(sum(counts))
    with sklearn.config_context(enable_metadata_routing=True):
        routed = LinearClassifierCV(
            alphas=[0.1], cv=folds, tol=1e-10,
            scoring=make_scorer(accuracy_score, normalize=False).set_score_request(
                sample_weight=True)).fit(X, y, sample_weight)
        assert_allclose(routed.scores_[0], fold_counts)


def test_score_uses_the_scoring_option_as_logistic_regression_cv():
    """``score`` evaluates the ``scoring`` option (with sample weights, and metadata routing
    when enabled), as LogisticRegressionCV.score does; it was always accuracy."""
    X, y = make_data(3, n_samples=90)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    model = LinearClassifierCV(alphas=[0.1, 0.01], cv=3, scoring="neg_log_loss").fit(X, y)
    probabilities = model.predict_proba(X)
    assert model.score(X, y) == pytest.approx(-log_loss(y, probabilities))
    assert model.score(X, y, sample_weight=weights) == pytest.approx(
        -log_loss(y, probabilities, sample_weight=weights))
    plain = LinearClassifierCV(alphas=[0.1, 0.01], cv=3).fit(X, y)
    assert plain.score(X, y) == pytest.approx(accuracy_score(y, plain.predict(X)))
    with sklearn.config_context(enable_metadata_routing=True):
        requested = LinearClassifierCV(
            alphas=[0.1, 0.01], cv=3,
            scoring=get_scorer("neg_log_loss").set_score_request(sample_weight=True)).fit(X, y)
        assert requested.score(X, y, sample_weight=weights) == pytest.approx(
            -log_loss(y, requested.predict_proba(X), sample_weight=weights))
    with pytest.raises(ValueError, match="groups"):
        model.score(X, y, groups=np.zeros(len(y)))


@pytest.mark.parametrize("kept", [True, False], ids=["path-solutions", "fitted-again"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_refit_false_averages_the_fold_fits_at_the_selected_point(n_classes, kept, monkeypatch):
    """``refit=False`` (new, as LogisticRegressionCV's): ``coef_`` and ``intercept_`` are
    the means of the folds' fits at the selected ``(alpha_, l1_ratio_)`` (with the sample
    and class weights), selected as with ``refit=True``; no fit on all the data. The
    folds' path solutions are kept when small, else each fold is fitted again from zero."""
    import sklreg.linear._classifier_cv as classifier_cv

    X, y = make_data(n_classes, n_samples=90)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    class_weight = {0: 2.0, 1: 1.0, 2: 0.5}
    alphas = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    fitted_again = []
    fold_solution = classifier_cv._fold_solution
    monkeypatch.setattr(classifier_cv, "_fold_solution",
                        lambda *args: fitted_again.append(args) or fold_solution(*args))
    if not kept:
        monkeypatch.setattr(classifier_cv, "KEPT_SOLUTIONS_MAX_VALUES", 0)
    kwargs = dict(penalty="elasticnet", l1_ratio=[0.3, 0.9], alphas=alphas, cv=folds,
                  scoring="neg_log_loss", class_weight=class_weight, tol=1e-12)
    model = LinearClassifierCV(**kwargs, refit=False).fit(X, y, sample_weight)
    refitted = LinearClassifierCV(**kwargs).fit(X, y, sample_weight)
    assert len(fitted_again) == (0 if kept else len(folds))
    assert_array_equal(model.scores_, refitted.scores_)
    assert (model.alpha_, model.l1_ratio_) == (refitted.alpha_, refitted.l1_ratio_)
    assert alphas[0] > model.alpha_ > alphas[-1]  # a warm-started point of the paths
    fits = [LinearClassifier("elasticnet", alpha=model.alpha_, l1_ratio=model.l1_ratio_,
                             class_weight=class_weight, tol=1e-12).fit(
                X[train], y[train], sample_weight[train]) for train, _ in folds]
    # the path's solutions are certified to 1e-12 * P_null: ~1e-6 on the coefficients
    atol = 1e-5 if kept else 1e-10
    assert_allclose(model.coef_, np.mean([fit.coef_ for fit in fits], axis=0), atol=atol)
    assert_allclose(model.intercept_, np.mean([fit.intercept_ for fit in fits], axis=0),
                    atol=atol)
    assert np.abs(model.coef_ - refitted.coef_).max() > 1e-3  # not the fit on all the data
    assert model.n_iter_.shape == model.dual_gap_.shape == (len(folds),)
    assert np.all(model.dual_gap_ <= 1e-12 * np.log(n_classes))
    if not kept:
        assert_array_equal(model.n_iter_, [fit.n_iter_ for fit in fits])
    scores = X @ model.coef_.T + model.intercept_
    assert_allclose(model.decision_function(X), scores.ravel() if n_classes == 2 else scores)
    assert_array_equal(model.predict(X), model.classes_[
        (scores.ravel() > 0).astype(int) if n_classes == 2 else scores.argmax(axis=1)])
    assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_refit_false_pickles_and_keeps_feature_names():
    import pickle

    pd = pytest.importorskip("pandas")
    X, y = make_data(3, n_samples=90)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    model = LinearClassifierCV(alphas=[0.1, 0.01], cv=3, refit=False).fit(frame, y)
    assert_array_equal(model.feature_names_in_, frame.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "X does not have valid feature names"
        proba = model.predict_proba(frame)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(frame), proba)
    assert_array_equal(restored.n_iter_, model.n_iter_)


def test_refit_must_be_a_boolean():
    X, y = make_data(2, n_samples=60)
    with pytest.raises(ValueError, match="'refit' parameter"):
        LinearClassifierCV(refit="no").fit(X, y)


@pytest.mark.parametrize("scoring", [None, "accuracy", "neg_log_loss"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_direct_scores_are_scikit_learns(n_classes, scoring):
    """Accuracy and log-loss on the held-out parts are computed without scikit-learn's
    scorers (their validation took most of a path's time on a few thousand rows), to the
    same values: string labels, a held-out part lacking a class, weights with zeros,
    probabilities that saturate (clipped as log_loss clips them); calls with other
    metadata, or weights summing to zero, go to the scorer itself."""
    from sklreg.linear._classifier_cv import DirectScorer, scorer_with_labels

    X, y = make_data(n_classes, n_samples=120)
    labels = np.array(["ant", "bee", "cat"])[y]
    model = LinearClassifier("l2", alpha=1e-3).fit(X, labels)
    X = X.copy()
    X[::10] *= 300.0  # saturated probabilities
    test = np.flatnonzero(labels != model.classes_[-1])  # lacks the last class
    rng = np.random.RandomState(0)
    scorer = scorer_with_labels(get_scorer(scoring or "accuracy"), model.classes_)
    direct = DirectScorer(scoring or "accuracy", scorer)
    for rows in [np.arange(len(y)), test]:
        weights = rng.uniform(0.0, 2.0, len(rows))
        weights[::4] = 0.0
        for params in [{}, {"sample_weight": weights}, {"sample_weight": list(weights)}]:
            ours = direct(model, X[rows], labels[rows], **params)
            assert_allclose(ours, scorer(model, X[rows], labels[rows], **params), rtol=1e-12)
    delegated = []
    direct.scorer = lambda *args, **params: delegated.append(params) or 0.5
    assert direct(model, X, labels, sample_weight=np.zeros(len(y))) == 0.5
    assert direct(model, X, labels, other=1) == 0.5
    assert len(delegated) == 2
    if scoring == "neg_log_loss":  # some probabilities reach 0 or 1 and are clipped
        proba = model.predict_proba(X)
        assert np.any((proba == 0.0) | (proba == 1.0))


def test_cv_direct_scores_select_as_the_scorers(monkeypatch):
    """The path scores and the selection of LinearClassifierCV are those of scikit-learn's
    scorers, computed directly or not."""
    from sklreg.linear import _classifier_cv

    X, y = make_data(3, n_samples=150)
    sample_weight = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    for scoring in [None, "neg_log_loss"]:
        params = {"alphas": 8, "cv": 3, "scoring": scoring, "tol": 1e-10}
        direct = LinearClassifierCV(**params).fit(X, y, sample_weight)
        with monkeypatch.context() as patch:
            patch.setattr(_classifier_cv, "DIRECT_METRICS", {})
            scored = LinearClassifierCV(**params).fit(X, y, sample_weight)
        assert_allclose(direct.scores_, scored.scores_, rtol=1e-12)
        assert direct.alpha_ == scored.alpha_


@pytest.mark.parametrize("scoring", ["average_precision", "precision"])
def test_binary_scorers_with_a_pos_label_but_no_labels_take_the_second_class(scoring):
    """Metrics taking ``pos_label`` but no ``labels`` (average precision) get the second
    class as positive, as documented and as those taking both (precision) do: with string
    labels they raised (the default ``pos_label=1`` is no label)."""
    X, y = make_data(2, n_samples=90)
    labels = np.array(["negative", "positive"])[y]
    folds = list(StratifiedKFold(3).split(X, y))
    model = LinearClassifierCV(alphas=[0.1, 0.01], cv=folds, scoring=scoring).fit(X, labels)
    numeric = LinearClassifierCV(alphas=[0.1, 0.01], cv=folds, scoring=scoring).fit(X, y)
    assert_allclose(model.scores_, numeric.scores_)
    assert model.score(X, labels) == pytest.approx(get_scorer(scoring)(numeric, X, y))


def test_unhashable_callable_scoring():
    """A callable scorer need not be hashable (a dataclass with ``eq``): the check for the
    directly computed metrics looked it up in a dict (TypeError: unhashable type)."""
    X, y = make_data(2, n_samples=60)

    @dataclasses.dataclass
    class AccuracyScorer:
        def __call__(self, estimator, X, y):
            return accuracy_score(y, estimator.predict(X))

    alphas = [0.1, 0.01]
    model = LinearClassifierCV(alphas=alphas, cv=3, scoring=AccuracyScorer()).fit(X, y)
    reference = LinearClassifierCV(alphas=alphas, cv=3).fit(X, y)
    assert_array_equal(model.scores_, reference.scores_)
    assert model.score(X, y) == reference.score(X, y)


def test_held_out_part_of_a_zero_class_weight_is_scored():
    """A held-out part of only a class weighted zero by ``class_weight`` is scored (the
    scorer gets no class weights; the fold was rejected as of zero weight), as
    ``LogisticRegressionCV`` does; one whose sample weights sum to zero, or an empty one,
    is rejected."""
    X, y = make_data(3, n_samples=60)
    rows = np.arange(len(y))
    only_first_class = rows[y == 0]
    folds = [(rows[y != 0], only_first_class), (only_first_class, rows[y != 0])]
    class_weight = {0: 0.0, 1: 1.0, 2: 2.0}
    alphas = [0.1, 0.01]
    model = LinearClassifierCV(alphas=alphas, cv=folds[:1], class_weight=class_weight,
                               tol=1e-10).fit(X, y)
    for j, alpha in enumerate(alphas):
        fold_fit = LinearClassifier(alpha=alpha, class_weight=class_weight, tol=1e-10).fit(
            X, y, sample_weight=(y != 0).astype(float))
        expected = accuracy_score(y[only_first_class], fold_fit.predict(X[only_first_class]))
        assert model.scores_[j, 0] == expected
    with pytest.raises(ValueError, match="training or test part"):  # no training weight
        LinearClassifierCV(alphas=alphas, cv=folds[1:], class_weight=class_weight).fit(X, y)
    sample_weight = (y != 0).astype(float)
    with pytest.raises(ValueError, match="training or test part"):
        LinearClassifierCV(alphas=alphas, cv=folds[:1]).fit(X, y, sample_weight)
    with pytest.raises(ValueError, match="training or test part"):
        LinearClassifierCV(alphas=alphas, cv=[(rows, rows[:0])]).fit(X, y)


@pytest.mark.parametrize("alphas, message", [
    ([0.1, -0.1], "got -0.1"), ([0.1, np.nan], "got nan"), ([1.0, np.inf], "got inf"),
    ([], r"got shape \(0,\)"), ([[0.1, 0.2]], r"got shape \(1, 2\)"),
])
def test_invalid_alphas_are_named(alphas, message):
    """The error names the invalid value (it gave the shape, ``(2,)``, for a negative one)."""
    X, y = make_data(2, n_samples=30)
    with pytest.raises(ValueError, match=message):
        LinearClassifierCV(alphas=alphas, cv=3).fit(X, y)


# left: the first L-BFGS step, scaled by 1 / (zero data curvature + l2 of 2e-308), still
# overflows a product in the line search (a warning; the fits are right)
@pytest.mark.filterwarnings("ignore:overflow encountered in matmul:RuntimeWarning")
def test_l2_path_on_constant_features():
    """Constant features carry no information: with intercepts, an L2 path at the
    smallest normal float (the automatic grid's before it had a fallback) gives the
    intercept-only model's held-out accuracy in every fold. L-BFGS took a curvature pair
    whose ``y^T y`` underflowed to zero there, and its two-loop recursion divided by it
    (ZeroDivisionError inside the compiled kernel)."""
    y = np.random.default_rng(3).integers(0, 3, 40)
    X = np.full((40, 3), 5.0)
    cv = StratifiedKFold(5)
    model = LinearClassifierCV(alphas=np.full(4, np.finfo(np.float64).tiny), cv=cv).fit(X, y)
    for k, (train, test) in enumerate(cv.split(X, y)):
        majority = np.argmax(np.bincount(y[train], minlength=3))
        assert_allclose(model.scores_[:, k], np.mean(y[test] == majority))
    assert_allclose(model.predict_proba(X[:1])[0], np.bincount(y) / len(y), rtol=1e-6)


def _constant_feature_cases():
    """``(X, y, sample_weight, fit_intercept)`` where W = 0 is optimal at every alpha and
    the grid's top is 0: constant features with intercepts (rounding in their weighted
    means: 0.1 with weights), all-zero features, and, for L1 (alpha_max; the L2 grid has
    the curvature), constant features without intercepts with balanced classes (whose
    gradient at W = 0 rounds to 3e-18)."""
    rng = np.random.default_rng(3)
    sw = rng.uniform(0.5, 2, 42)
    return [
        (np.full((42, 3), 5.0), rng.integers(0, 3, 42), None, True),
        (np.full((42, 3), 0.1), rng.integers(0, 2, 42), sw, True),
        (np.full((42, 3), 0.1), rng.integers(0, 3, 42), sw, True),
        (np.full((42, 3), 5.0), np.arange(42) % 2, None, False),
        (np.zeros((42, 3)), rng.integers(0, 3, 42), sw, True),
    ]


def test_alpha_max_rounding_is_judged_per_column():
    """Without intercepts, gradients within the rounding of their sums count as 0; the
    rounding was that of the largest column of all, so a constant column of 1e14 (whose
    gradient is that rounding) hid a real gradient of 5e-4 and the grid started at 1."""
    from sklreg.linear._classifier_cv import classification_alpha_max

    rng = np.random.RandomState(0)
    n_samples = 100
    y = np.arange(n_samples) % 2
    informative = (np.where(y == 1, 1.0, -1.0) + rng.standard_normal(n_samples)) * 1e-3
    X = np.column_stack([np.full(n_samples, 1e14), informative])
    weights = np.ones(n_samples)
    alone = classification_alpha_max(X[:, 1:], y, 2, weights, False, 1.0)
    assert alone > 0.0
    assert classification_alpha_max(X, y, 2, weights, False, 1.0) == alone


@pytest.mark.parametrize("case, penalty", [(case, penalty) for case in range(5)
                                           for penalty in ("l1", "l2")
                                           if (case, penalty) != (3, "l2")])
def test_automatic_grid_where_alpha_changes_nothing_starts_at_one(case, penalty):
    """The automatic grid's top is 0 there, or rounding (1e-33 to 1e-18): the grid sat
    at 2.2e-308 or at that noise, L-BFGS overflowed there (RuntimeWarning) and weights
    drifted to 4e6 with ConvergenceWarnings (3 classes). It starts at 1, without
    warnings, and the refit is the intercept-only model."""
    X, y, sw, fit_intercept = _constant_feature_cases()[case]
    expected = np.geomspace(1.0, 1e-3 if penalty == "l1" else 1e-6, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearClassifierCV(penalty, alphas=4, cv=3, fit_intercept=fit_intercept,
                                   tol=1e-8).fit(X, y, sample_weight=sw)
    assert_allclose(model.alphas_, expected, rtol=1e-12)
    assert model.alpha_ == 1.0
    assert_allclose(model.coef_, 0.0, atol=1e-6)
    frequencies = np.bincount(y, weights=sw) / (len(y) if sw is None else sw.sum())
    if not fit_intercept:
        frequencies = np.full(len(frequencies), 1.0 / len(frequencies))
    assert_allclose(model.predict_proba(X[:1])[0], frequencies, rtol=1e-6)


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_automatic_grid_for_one_class_of_positive_weight_starts_at_one(n_classes, penalty):
    """Class weights leaving one class: with intercepts, ``W = 0`` at every alpha (the
    intercepts alone reach the loss's infimum). The top of the grid was the rounding of
    the residuals' class frequencies, 3e-16 (L1) or below, not 0."""
    X, y = make_data(n_classes, n_samples=60, n_features=5)
    class_weight = {k: float(k == 1) for k in range(n_classes)}
    model = LinearClassifierCV(penalty, l1_ratio=0.5, alphas=3, cv=3,
                               class_weight=class_weight).fit(X, y)
    assert model.alphas_[0] == 1.0
    assert model.alpha_ == 1.0
    assert_array_equal(model.coef_, 0.0)


def test_constant_float32_columns_leave_the_grid_to_the_varying_ones():
    """With intercepts, constant columns add nothing to the curvature or to alpha_max:
    the grid is that of the varying columns alone. The curvature's products in float32
    left 0.02 of rounding from columns at 7e5, a grid 1e10 times too high."""
    rng = np.random.RandomState(1)
    varying = rng.standard_normal((40, 2)) * 1e-6
    y = (varying @ [1e6, -2e6] + rng.standard_normal(40) > 0).astype(int)
    X = np.hstack([np.full((40, 3), 7e5), varying]).astype(np.float32)
    sw = rng.uniform(0.5, 2, 40)
    for penalty in ("l1", "l2"):
        ours = LinearClassifierCV(penalty, alphas=3, cv=2).fit(X, y, sample_weight=sw)
        alone = LinearClassifierCV(penalty, alphas=3, cv=2).fit(X[:, 3:], y,
                                                                  sample_weight=sw)
        assert_allclose(ours.alphas_, alone.alphas_, rtol=1e-5)


def test_path_fits_start_extrapolated_along_the_path():
    """Each fit of a fold's path after the second starts on the line through the two
    solutions before it: weights kept at zero, or predicted to change sign, start at
    zero; the intercepts follow the line; the step is at most the last one."""
    from sklreg.linear._classifier_cv import _extrapolate_solution

    W = np.array([[1.0, 0.1, 0.0, -1.0]])
    b = np.array([0.5])
    _extrapolate_solution(W, b, np.array([[2.0, 0.3, 0.5, -1.5]]), np.array([0.2]), 1.5, 1.0,
                          0.5)
    assert_array_equal(W, [[0.0, 0.0, 0.0, -0.5]])
    assert_allclose(b, [0.8])
    W, b = np.array([[1.0, -1.0], [2.0, 3.0]]), np.array([0.0, 1.0])
    _extrapolate_solution(W, b, np.array([[0.5, -2.0], [1.0, 1.0]]), np.array([1.0, 1.0]),
                          1.2, 1.0, 0.0)  # five steps of the last one: one
    assert_allclose(W, [[1.5, 0.0], [3.0, 5.0]])
    assert_allclose(b, [-1.0, 1.0])
    for alphas in ([1.0, 1.0, 0.5], [0.5, 1.0, 0.5]):  # no line; turning back
        W, b = np.array([[1.0, -1.0]]), np.array([0.3])
        _extrapolate_solution(W, b, np.array([[0.5, -2.0]]), np.array([1.0]), *alphas)
        assert_array_equal(W, [[1.0, -1.0]])
        assert_array_equal(b, [0.3])
