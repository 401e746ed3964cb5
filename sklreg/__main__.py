"""``python -m sklreg``: L1 / L2 / elastic-net fits next to scikit-learn's on bundled data.

Commands: ``demo`` (the default) prints sklreg's fits next to scikit-learn's on the diabetes
data; ``bench`` times a small suite against scikit-learn, prints a table and saves a chart.
"""

import argparse
import time
import warnings

import numpy as np

from sklreg._bench import diabetes_interactions, linear_objective, median_fit_time


def _objective(model, X, y, alpha, l1_ratio):
    """The objective every sklreg estimator minimizes, at a fitted model's coefficients."""
    return linear_objective(model.coef_, model.intercept_, X, y, alpha, l1_ratio, "squared")


def demo(repeats=5):
    """Fit both libraries on the diabetes data (with pairwise interactions) and print a table."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ElasticNet, Lasso, Ridge

    from sklreg import LinearRegressor

    X_train, X_test, y_train, y_test = diabetes_interactions()
    n_samples, n_features = X_train.shape

    start = time.perf_counter()
    LinearRegressor("elasticnet", alpha=1.0).fit(X_train, y_train)
    first_fit = time.perf_counter() - start

    def objective_gap(ours, reference, l1_ratio, alpha):
        p_ours = _objective(ours, X_train, y_train, alpha, l1_ratio)
        p_reference = _objective(reference, X_train, y_train, alpha, l1_ratio)
        return (p_ours - p_reference) / p_reference

    tol = 1e-8  # sklreg's relative duality gap; scikit-learn's tol t certifies 2 t
    cases = [
        ("l1", "Lasso", dict(alpha=0.5), Lasso(alpha=0.5, tol=tol / 2, max_iter=100_000)),
        ("l1", "Lasso", dict(alpha=0.05), Lasso(alpha=0.05, tol=tol / 2, max_iter=100_000)),
        ("elasticnet", "ElasticNet", dict(alpha=0.5, l1_ratio=0.5),
         ElasticNet(alpha=0.5, l1_ratio=0.5, tol=tol / 2, max_iter=100_000)),
        ("l2", "Ridge", dict(alpha=1.0), Ridge(alpha=1.0 * n_samples)),
        ("l2", "Ridge", dict(alpha=0.01), Ridge(alpha=0.01 * n_samples)),
    ]
    print(f"Diabetes with pairwise interactions: {n_samples} training samples, "
          f"{n_features} standardized features; tol = relative duality gap {tol:g}.")
    print(f"First fit in this process (Numba kernels compiled or loaded from cache): "
          f"{first_fit:.2f} s.\n")
    header = (f"{'penalty':<11}{'alpha':>7} | {'sklreg R2':>9} {'nnz':>4} {'ms':>7} | "
              f"{'scikit-learn':<11}{'R2':>7} {'nnz':>4} {'ms':>7} | {'speed-up':>8} "
              f"{'objective':>10}")
    print(header)
    print("-" * len(header))
    for penalty, name, params, reference in cases:
        ours = LinearRegressor(penalty, tol=tol, max_iter=100_000, **params)
        l1_ratio = {"l1": 1.0, "l2": 0.0}.get(penalty, params.get("l1_ratio"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t_ours = median_fit_time(ours, X_train, y_train, repeats)
            t_ref = median_fit_time(reference, X_train, y_train, repeats)
        print(
            f"{penalty:<11}{params['alpha']:>7g} | {ours.score(X_test, y_test):>9.4f} "
            f"{np.count_nonzero(ours.coef_):>4} {1e3 * t_ours:>7.2f} | {name:<11}"
            f"{reference.score(X_test, y_test):>7.4f} {np.count_nonzero(reference.coef_):>4} "
            f"{1e3 * t_ref:>7.2f} | {t_ref / t_ours:>7.2f}x "
            f"{objective_gap(ours, reference, l1_ratio, params['alpha']):>+10.1e}"
        )
    print("\nR2 on a held-out quarter; times are medians of "
          f"{repeats} fits; Ridge(alpha=a) is LinearRegressor('l2', alpha=a / n_samples).")
    print("objective: (P_sklreg - P_sklearn) / P_sklearn on the training data, P being the "
          "objective both minimize\n(coefficients can differ where features are collinear, "
          "as the squared binary 'sex' column is here).")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:  # argparse would name the function: "invalid _positive_int value"
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


DEFAULT_REPEATS = {"demo": 5, "bench": 3}


class _Parser(argparse.ArgumentParser):
    """Fills in ``--repeats`` after parsing, with the default of the command run.

    A subcommand's own default would overwrite a ``--repeats`` given before the command
    (``python -m sklreg --repeats 7 bench`` ran 3 repeats), so the subcommands' defaults
    are suppressed and the command's default applies only when none was given.
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if namespace.repeats is None:
            namespace.repeats = DEFAULT_REPEATS[namespace.command or "demo"]
        return namespace, extras


def build_parser():
    """The command-line parser: ``[--repeats N]`` alone runs the demo."""
    parser = _Parser(
        prog="python -m sklreg", description=__doc__.replace("``", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeats", type=_positive_int, default=None,
                        help="timed fits per model (default: 5 for demo, 3 for bench)")
    commands = parser.add_subparsers(dest="command", metavar="{demo,bench}",
                                     parser_class=argparse.ArgumentParser)
    demo_parser = commands.add_parser("demo", help="the diabetes demo (the default command)")
    demo_parser.add_argument("--repeats", type=_positive_int, default=argparse.SUPPRESS,
                             help="timed fits per model (default: 5)")
    bench_parser = commands.add_parser(
        "bench", help="benchmark against scikit-learn: a table and a chart")
    bench_parser.add_argument("--repeats", type=_positive_int, default=argparse.SUPPRESS,
                              help="timed fits per estimator, after a warm-up (default: 3)")
    bench_parser.add_argument("--quick", action="store_true",
                              help="small problems only, no real datasets (a few seconds)")
    bench_parser.add_argument("--out", default="sklreg-bench.png",
                              help="chart file (default: sklreg-bench.png)")
    bench_parser.add_argument("--no-chart", dest="out", action="store_const", const=None,
                              help="do not save a chart")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "bench":
        from ._bench import bench, check_chart_path

        if args.out is not None:
            try:  # a usage error now, not a traceback after the whole benchmark
                check_chart_path(args.out)
            except ValueError as error:
                parser.error(str(error))
        bench(repeats=args.repeats, quick=args.quick, out=args.out)
    else:
        demo(repeats=args.repeats)


if __name__ == "__main__":
    main()
