"""MLPRegressor / MLPClassifier against scikit-learn's MLP: time per epoch, sparsity, score.

    python benchmarks/bench_mlp.py [--quick] [--data-dir DIR] [--out benchmarks/results-mlp.md]

Part 1, speed: seconds per epoch at equal architecture, batch size and number of epochs (the
stopping rule is switched off: ``tol=0``, ``n_iter_no_change=max_iter``), one thread, median
of ``--repeats`` timed fits after a warm-up fit (Numba compilation / cache load excluded).
sklreg runs with ``penalty='l2'`` (the same work as scikit-learn) and ``penalty='l1'`` (the
proximal step added).

Part 2, sparsity and held-out score: scikit-learn's MLP (L2), sklreg L2, sklreg L1 (proximal
Adam), sklreg group lasso, and a subgradient-L1 baseline (the same Adam, with
``alpha * sign(w)`` added to the gradient instead of the prox: what Keras' ``L1`` and
skorch's recipe do), same initial weights, epochs and batch size, on synthetic data (a
regression, Poisson counts fitted with ``loss='poisson'``, a classification) and on
``zipcode``, ``dna``, ``riboflavin``, ``leukemia`` when the data folder is found.
"""

import os
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "sklreg-bench-numba"))

import argparse  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn import neural_network  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import sklreg  # noqa: E402
from sklreg import MLPClassifier, MLPRegressor  # noqa: E402
from sklreg._datasets import find_data_dir, load_dataset  # noqa: E402
from sklreg.neural._optimizers import adam_step  # noqa: E402


class _SubgradientL1:
    """Adam on the L1 subgradient ``alpha * sign(w)`` added to the gradient (no prox)."""

    def _step(self, flat, grad, steps, layout):
        n_penalized = layout.n_penalized
        grad[:n_penalized] += self.alpha * np.sign(flat[:n_penalized])
        state = self._optimizer_state
        state["t"] += 1
        t = state["t"]
        learning_rate_t = state["learning_rate"] * np.sqrt(1 - self.beta_2**t) / (
            1 - self.beta_1**t)
        adam_step(flat, grad, state["first_moment"], state["second_moment"], steps,
                  learning_rate_t, self.beta_1, self.beta_2, self.epsilon, n_penalized, 0.0)
        # no prox: the L1 term only ever entered through its subgradient


class SubgradientL1Regressor(_SubgradientL1, MLPRegressor):
    pass


class SubgradientL1Classifier(_SubgradientL1, MLPClassifier):
    pass


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_problems(data_dir, quick):
    """(name, task, X, y) with X standardized (dense) and y standardized for regression
    (task 'counts': Poisson targets, fitted with ``loss='poisson'``, kept as they are)."""
    problems = []
    X, y = make_regression(1000, 100, n_informative=10, noise=1.0, random_state=0)
    problems.append(("synthetic_reg", "regression", X, y))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 50))
    y = rng.poisson(np.exp(X[:, :5] @ np.full(5, 0.3))).astype(float)
    problems.append(("synthetic_counts", "counts", X, y))
    X, y = make_classification(2000, 50, n_informative=5, n_redundant=0, n_classes=3,
                               random_state=0)
    problems.append(("synthetic_clf", "classification", X, y))
    if data_dir is not None and not quick:
        for name in ("zipcode", "dna", "riboflavin", "leukemia"):
            if not (Path(data_dir) / f"{name}.npz").is_file():
                print(f"skipping {name}: not in {data_dir}", file=sys.stderr)
                continue
            X, y = load_dataset(name, data_dir)
            X = X.toarray() if sp.issparse(X) else np.asarray(X)
            task = "regression" if y.dtype.kind == "f" else "classification"
            problems.append((name, task, X, y))
    prepared = []
    for name, task, X, y in problems:
        stratify = y if task == "classification" else None
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=stratify)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        if task == "regression":
            mean, std = y_train.mean(), y_train.std()
            y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
        prepared.append((name, task, X_train, X_test, y_train, y_test))
    return prepared


def seconds_per_epoch(model, X, y, repeats):
    model.fit(X, y)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        times.append((time.perf_counter() - start) / model.n_iter_)
    return float(np.median(times))


def speed_table(problems, args):
    rows = ["| problem | n_train × p | hidden | batch | epochs | sklearn s/epoch | sklreg L2 "
            "s/epoch | sklreg L1 s/epoch | sklearn/sklreg L2 | sklearn/sklreg L1 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, task, X, _, y, _ in problems:
        hidden, batch = (100,), min(200, X.shape[0])
        common = dict(hidden_layer_sizes=hidden, batch_size=batch, max_iter=args.epochs,
                      tol=0.0, n_iter_no_change=args.epochs, random_state=0)
        regression = task != "classification"
        ours_class = MLPRegressor if regression else MLPClassifier
        theirs_class = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        if task == "counts":
            common["loss"] = "poisson"
        theirs = seconds_per_epoch(theirs_class(alpha=1e-4, **common), X, y, args.repeats)
        l2 = seconds_per_epoch(ours_class(alpha=1e-4, **common), X, y, args.repeats)
        l1 = seconds_per_epoch(ours_class(penalty="l1", alpha=1e-4, **common), X, y,
                               args.repeats)
        rows.append(f"| {name} | {X.shape[0]} × {X.shape[1]} | {hidden} | {batch} | "
                    f"{args.epochs} | {theirs:.4f} | {l2:.4f} | {l1:.4f} | {theirs / l2:.2f} | "
                    f"{theirs / l1:.2f} |")
        print(rows[-1], flush=True)
    return rows


def zero_fraction(model):
    return float(np.mean(np.concatenate([W.ravel() for W in model.coefs_]) == 0))


def active_inputs(model):
    return int(np.any(model.coefs_[0] != 0, axis=1).sum())


def sparsity_table(problems, args):
    rows = ["| problem | task | n_train × p | model | alpha | epochs | exact zeros | "
            "active inputs | active hidden | test score | fit s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, task, X_train, X_test, y_train, y_test in problems:
        regression = task != "classification"
        n, p = X_train.shape
        wide = p > n
        # wide problems (p >> n, one batch per epoch): smaller steps, more epochs, stronger L1
        learning_rate, epochs = (1e-3, 3 * args.sparsity_epochs) if wide else (
            1e-2, args.sparsity_epochs)
        alpha = args.alpha * (10 if wide else 1)
        group_alpha = alpha / (10 if wide else 3)
        batch = min(200, n)
        common = dict(hidden_layer_sizes=(64,), batch_size=batch,
                      learning_rate_init=learning_rate, max_iter=epochs, random_state=0)
        if task == "counts":
            common["loss"] = "poisson"
        Ours = MLPRegressor if regression else MLPClassifier
        Theirs = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        Subgradient = SubgradientL1Regressor if regression else SubgradientL1Classifier
        models = [
            ("sklearn L2", alpha, Theirs(alpha=alpha * batch, **common)),
            ("sklreg L2", alpha, Ours(penalty="l2", alpha=alpha, **common)),
            ("subgradient L1 (Adam)", alpha, Subgradient(penalty="l1", alpha=alpha, **common)),
            ("sklreg L1 (proximal Adam)", alpha, Ours(penalty="l1", alpha=alpha, **common)),
            ("sklreg L1 (proximal SGD)", alpha, Ours(penalty="l1", alpha=alpha, solver="sgd",
                                                     **common)),
            ("sklreg group (proximal Adam)", group_alpha,
             Ours(penalty="group", alpha=group_alpha, **common)),
        ]
        for label, model_alpha, model in models:
            start = time.perf_counter()
            try:
                model.fit(X_train, y_train)
            except ValueError as exc:  # non-finite weights
                rows.append(f"| {name} | {task} | {n} × {p} | {label} | {model_alpha:g} | "
                            f"diverged ({exc}) | | | | |")
                continue
            seconds = time.perf_counter() - start
            hidden = int(np.any(model.coefs_[1] != 0, axis=1).sum())
            rows.append(
                f"| {name} | {task} | {n} × {p} | {label} | {model_alpha:g} | "
                f"{model.n_iter_} | {zero_fraction(model):.4f} | {active_inputs(model)}/{p} | "
                f"{hidden}/64 | {model.score(X_test, y_test):.3f} | {seconds:.2f} |")
            print(rows[-1], flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true", help="synthetic problems only")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20, help="epochs of each timed fit")
    parser.add_argument("--sparsity-epochs", type=int, default=60)
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--out", default=None, help="write the markdown report here")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    data_dir = args.data_dir or find_data_dir()
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(1):
        problems = load_problems(data_dir, args.quick)
        speed = speed_table(problems, args)
        sparsity = sparsity_table(problems, args)
    command = "python benchmarks/bench_mlp.py " + " ".join(sys.argv[1:])
    report = [
        f"# MLP benchmark: sklreg {sklreg.__version__} (commit {git_commit()}) vs "
        f"scikit-learn {sklearn.__version__}",
        "",
        f"Command: `{command.strip()}`. One thread; {platform.processor() or platform.machine()}"
        f", Python {platform.python_version()}, NumPy {np.__version__}. X standardized on the "
        "training split (75%), regression targets standardized (the counts of "
        "`synthetic_counts` are not: both libraries fit them with `loss='poisson'`); scores "
        "on the held-out 25% (R^2 or accuracy).",
        "",
        "## Seconds per epoch (median of "
        f"{args.repeats} fits after a warm-up; `sklearn/sklreg` > 1 means sklreg is faster)",
        "",
        *speed,
        "",
        "## Exact zeros and held-out score",
        "",
        f"Hidden (64,), batch min(200, n), same initial weights, default stopping rule "
        f"(`tol=1e-4`, 10 epochs). n > p: learning rate 0.01, at most {args.sparsity_epochs} "
        f"epochs, alpha {args.alpha:g}, group alpha / 3; p > n (riboflavin, leukemia): "
        f"learning rate 0.001, at most {3 * args.sparsity_epochs} epochs, alpha "
        f"{10 * args.alpha:g}, group alpha / 10 (groups weigh sqrt(group size)). The "
        "alpha column is sklreg's; scikit-learn runs at alpha * batch size (it divides its "
        "alpha by the batch size). `exact zeros`: fraction of weights exactly 0; `active "
        "inputs`: inputs with a nonzero outgoing weight; `active hidden`: hidden units with a "
        "nonzero outgoing weight.",
        "",
        *sparsity,
        "",
    ]
    text = "\n".join(report)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
