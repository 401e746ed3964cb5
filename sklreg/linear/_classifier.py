"""LinearClassifier: logistic (binary) and multinomial regression with an elastic-net penalty."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._base import CachedParamsMixin
from .._datafits import (
    classification_dual_gap,
    classification_loss_change,
    classification_probabilities,
    classification_residuals,
    gradient_rounding,
    penalty_below_rounding,
)
from .._penalties import penalty_strengths
from .._validation import validate_fit_data, validate_predict_data
from ..cuda import check_device
from ..solvers._direct import symmetric_products
from ..solvers._dual_cd_l2 import dual_cd_l2, primal_condition_bound, row_sq_norms
from ..solvers._lbfgs_l2 import (
    design_gradient,
    design_predictions,
    lbfgs_l2,
    product_operands,
)
from ..solvers._newton_l2 import (
    NEWTON_FALLBACK_AFTER,
    NEWTON_RESERVE,
    direct_newton_applies,
    newton_fallback_after,
    newton_l2,
    row_space_design,
    row_space_pays,
)
from ..solvers._prox_newton import optimize_intercepts, prox_newton
from ._design import (
    _copy,
    dense_fortran_copy,
    kernel_arrays,
    offset_dominated_columns,
    subtract_column_offsets,
)
from ._regressor import check_sample_weight

# dual coordinate descent only above this bound on the primal condition number: L-BFGS was
# as fast or faster below it on dorothea (crossover near 200), reuters_earn (near 1400) and
# news20 (near 10000), all binary, without intercept, from a cold start
DUAL_CD_MIN_CONDITION = 200.0
# an L2 problem with no more features than samples and at most this many stored entries of
# X times blocks goes to proximal Newton: the smooth solvers' NumPy calls there cost more
# than its compiled epochs (30 x 2, 4 classes: 0.5 ms against 2.1 ms; 1000 x 5, 3 classes:
# 3.2 against 5.8 ms; binary 1000 x 10: 1.2 against 1.7 ms), but not beyond (binary
# 5000 x 4 and 2000 x 10 at par; 2000 x 50: 4.4 - 5.9 against 2.7 ms; multinomial
# 20 x 300: 4.0 against 2.6 ms)
SMALL_L2_WORK = 20_000
# max_iter=None: proximal Newton (and the L2 solvers) on the CPU; FISTA on the GPU needs
# about ten times more iterations (50 - 850 on small standardized sets)
DEFAULT_MAX_ITER = 100
DEFAULT_MAX_ITER_CUDA = 1000
# sparse columns with mean^2 above this times their variance are centered explicitly
# (mean beyond twice the standard deviation). Kept sparse, 2000 x 50 designs with 5 such
# columns took 1.5-2x the Newton steps of the dense fit at a ratio of 4 to 25, 1000 steps
# (unconverged) once at 49; the sparse real sets (news20, reuters, dorothea) have none
COUPLED_OFFSET_RATIO = 4.0
# sparse designs at least this dense are centered as dense ones when an intercept is fitted
# (one dense float64 copy: at most 1.3x the memory of a float64 CSR matrix, 2x of a float32
# one): arcene (0.54 of its entries stored) took 15 - 17 ms to center its 528
# offset-dominated columns in CSR, 9 - 10 ms to center densely, and proximal Newton's L1
# fits at alpha_max / 100 went from 40 - 70 ms to 20 ms on the dense kernels; at 0.3 of
# 100000 x 400, L1 took 0.9 - 1.2 s on the dense kernels against 0.7 s on the sparse ones
DENSE_CENTERING_DENSITY = 0.5
# with intercepts, a class of zero weight gets the zero weight row and an intercept putting
# its probability at most this on every training sample (its infimum is at -inf)
ABSENT_CLASS_PROBABILITY = 2.0**-104


class ClassificationProblem:
    """Validated classification data as the solvers take it.

    Attributes
    ----------
    arrays : tuple
        ``(X, X_data, X_indices, X_indptr, is_sparse, by_rows)`` for
        :func:`~sklreg.solvers._prox_newton.prox_newton`: the design of ``centered``,
        Fortran-ordered dense, CSC, or CSR parts (``by_rows``). A CSR design goes by rows
        to the first solve, which gathers only the columns its working sets use; later
        solves (a path) share one conversion to CSC.
    centered : tuple
        ``(X, X_offset)``: the design for proximal Newton and the exact Newton, centered
        in float64 (Fortran order, exactly ``X - X_offset``) when dense with an intercept;
        when sparse with an intercept, only the columns whose mean outweighs their spread
        are (stored dense, see :func:`~sklreg.linear._design.offset_dominated_columns`),
        or all as dense ones when at least ``DENSE_CENTERING_DENSITY`` of the entries are
        stored;
        otherwise as given with zero offsets (the intercepts of the centered problem are
        ``b + W @ X_offset``). Columns constant over the samples of positive weight are
        offset by their value, so that they center to exact zeros.
        Made once, when first used.
    X : ndarray or scipy.sparse matrix (CSR or CSC)
        The design as given (a sparse one with its duplicates summed). L-BFGS and dual
        coordinate descent use it uncentered: L-BFGS profiles the intercepts out (they are
        optimal for every ``W``), which centers the features in its curvature.
    labels : ndarray of shape (n_samples,), int64
        Class indices into ``classes``.
    c : ndarray of shape (n_samples,)
        Effective sample weights (times class weights) divided by their sum ``S``.
    sw_sum : float
        ``S``.
    fit_intercept : bool
        Whether the intercepts are fitted (``b`` stays zero otherwise).
    n_blocks : int
        1 for two classes, else the number of classes.
    present_classes : ndarray of int
        The classes of positive total weight. With intercepts and fewer present than
        classes, :meth:`solve` solves the problem of the present ones (a closed form for a
        single one).
    solver_name : str
        The solver :meth:`solve` ran last (for messages).
    """

    def __init__(self, X, labels, n_classes, sample_weight, fit_intercept):
        self.sw_sum = float(sample_weight.sum())
        self.c = np.ascontiguousarray(sample_weight / self.sw_sum, dtype=np.float64)
        if sp.issparse(X) and not X.has_canonical_format:
            X = X.copy()  # the Hessian diagonal squares whole entries
            X.sum_duplicates()
        self.X = X
        self.fit_intercept = fit_intercept
        self._arrays = self._X_float64 = self._centered = None
        self._newton_gram = self._newton_row_space = None
        self._solved = False
        self.solver_name = "proximal Newton"
        self.labels = np.ascontiguousarray(labels, dtype=np.int64)
        self.n_classes = n_classes
        self.n_blocks = 1 if n_classes == 2 else n_classes
        self.n_features = X.shape[1]
        class_totals = np.bincount(self.labels, weights=self.c, minlength=n_classes)
        self.present_classes = np.flatnonzero(class_totals > 0.0)
        self._present_problem = None

    @property
    def centered(self):
        if self._centered is None:
            X, X_offset = self.X, np.zeros(self.n_features)
            densified = (self.fit_intercept and sp.issparse(X)
                         and X.nnz >= DENSE_CENTERING_DENSITY * X.shape[0] * X.shape[1])
            if densified:  # centered in place below: the only dense copy
                X = dense_fortran_copy(X)
            if self.fit_intercept and not sp.issparse(X):
                # centered columns decouple the intercept from the weights, which coordinate
                # descent needs on data far from the origin
                X_offset = self.c @ X
                constant, values = constant_columns(X, np.flatnonzero(self.c))
                # exact zeros after centering, which the solvers skip: the rounding residue
                # of the weighted mean would give them a curvature of ~1e-32
                X_offset[constant] = values
                if densified:
                    X -= X_offset
                elif X.dtype == np.float64 and X.flags.c_contiguous:
                    # by column panels: 1.5-3x faster than a strided subtract into F order
                    X = _copy(X, "F")
                    X -= X_offset
                else:
                    X = np.subtract(X, X_offset, order="F", dtype=np.float64)
            elif self.fit_intercept:
                # sparsity kept but for columns far from the origin, which would couple
                # with the intercept (proximal Newton crawled at offsets of 10 standard
                # deviations, and never converged at 1000)
                columns, offsets = offset_dominated_columns(X, self.c, COUPLED_OFFSET_RATIO)
                if columns.size:
                    offsets = offsets.astype(X.dtype)  # subtracted exactly so
                    # as above: constant ones centered to exact zeros, not to the residue
                    # of their weighted mean (unpenalized Newton put 1e15 on it)
                    constant, values = constant_columns(X[:, columns].toarray(),
                                                        np.flatnonzero(self.c))
                    offsets[constant] = values
                    X = subtract_column_offsets(X, columns, offsets, np.ones(X.shape[0]))
                    X_offset[columns] = offsets
            self._centered = X, X_offset
        return self._centered

    @property
    def arrays(self):
        X = self.centered[0]
        if self._arrays is None and sp.issparse(X) and X.format == "csr":
            if not self._solved:
                return *kernel_arrays(writable_values(X)), True
            self._arrays = *kernel_arrays(X.tocsc()), False
        if self._arrays is None:
            X = writable_values(X) if sp.issparse(X) else np.asfortranarray(X)
            self._arrays = *kernel_arrays(X), False
        return self._arrays

    @property
    def X_float64(self):
        """``X`` in float64 (made once): the smooth L2 solvers multiply by it every step."""
        if self._X_float64 is None:
            self._X_float64 = self.X.astype(np.float64, copy=False)
        return self._X_float64

    def null_objective(self):
        """Objective of the intercept-only model (``W = 0``, best ``b``; ``b = 0`` without)."""
        if not self.fit_intercept:
            return float(np.log(self.n_classes))
        freq = np.bincount(self.labels, weights=self.c, minlength=self.n_classes)
        freq = freq[freq > 0]
        # the largest frequency's log from the others' sum: rounded near 1, its own log
        # would be noise far above the entropy of extreme class weights (1e-15 for 3e-148)
        largest = np.argmax(freq)
        log_freq = np.log(freq)
        log_freq[largest] = np.log1p(-np.delete(freq, largest).sum())
        return float(-(freq * log_freq).sum())

    def solve(self, W, b, l1_strength, l2_strength, max_iter, tol):
        """Solve in place on ``W``, ``b``: exact Newton, dual coordinate descent or L-BFGS
        for an L2 penalty alone (:mod:`~sklreg.solvers._newton_l2`,
        :mod:`~sklreg.solvers._dual_cd_l2`, :mod:`~sklreg.solvers._lbfgs_l2`) but on small
        problems (:func:`small_l2_problem`), otherwise
        :func:`~sklreg.solvers._prox_newton.prox_newton`.

        ``W`` and ``b`` are the weights and intercepts of the original (uncentered)
        problem, on input and on output. Returns the final gap (or Newton decrease
        without penalty), the number of iterations and the absolute gap tolerance
        ``tol * P_null``.
        """
        if self.has_absent_classes:
            return self.solve_present_classes(ClassificationProblem.solve, W, b, l1_strength,
                                              l2_strength, max_iter, tol)
        fit_intercept = self.fit_intercept
        gap_tol = tol * self.null_objective()
        if direct_newton_applies(self.X, self.n_blocks, l1_strength, l2_strength):
            self.solver_name = "Newton"
            gap, n_iter = self._newton(W, b, l2_strength, max_iter, gap_tol)
        elif (l1_strength == 0.0 and l2_strength > 0.0
              and not small_l2_problem(self.X, self.n_blocks)):
            n_iter, handed_over = 0, True
            # cold starts only: along a path (or a refit), L-BFGS from the previous solution
            # beats epochs that must rebuild the dual point; no more samples (dual
            # variables) than features: on 20000 x 100, its epochs handed over after 20 ms;
            # and not on a well-conditioned primal, where L-BFGS needs a handful of
            # iterations and the dual epochs (5 or 6 at least, each dearer) lose
            if (self.n_blocks == 1 and not fit_intercept and not W.any()
                    and self.X.shape[0] <= self.X.shape[1]):
                X = self.X_float64
                # the row norms once, for the bound and the epochs (a CSC X: the bound
                # from its own parts, the epochs on a CSR copy)
                row_norms2 = (None if sp.issparse(X) and X.format != "csr"
                              else row_sq_norms(X))
                if (primal_condition_bound(X, self.c, l2_strength, row_norms2)
                        > DUAL_CD_MIN_CONDITION):
                    self.solver_name = "dual coordinate descent"
                    w = W[0].astype(np.float64)
                    gap, n_iter, handed_over = dual_cd_l2(X, self.labels, self.c, w,
                                                          l2_strength, max_iter, gap_tol,
                                                          row_norms2)
                    W[0] = w
            if handed_over:
                self.solver_name = "L-BFGS" if n_iter == 0 else "dual CD, then L-BFGS"
                newton_after = newton_fallback_after(self.X, self.n_blocks)
                budget = max_iter - n_iter
                if newton_after is not None:  # and a few iterations left for Newton
                    budget = min(budget, newton_after,
                                 max(budget - NEWTON_RESERVE, NEWTON_FALLBACK_AFTER))
                gap, lbfgs_iter = lbfgs_l2(self.X_float64, self.labels, self.c, W, b,
                                           fit_intercept, l2_strength, budget, gap_tol)
                n_iter += lbfgs_iter
                if newton_after is not None and not gap <= gap_tol and n_iter < max_iter:
                    self.solver_name += ", then Newton"
                    gap, newton_iter = self._newton(W, b, l2_strength, max_iter - n_iter,
                                                    gap_tol)
                    n_iter += newton_iter
                    if not gap <= gap_tol and n_iter < max_iter:
                        # Newton stopped early (a system it cannot factor, or no step
                        # decreasing the objective in float64): L-BFGS has the rest
                        self.solver_name += ", then L-BFGS"
                        gap, lbfgs_iter = lbfgs_l2(self.X_float64, self.labels, self.c, W, b,
                                                   fit_intercept, l2_strength,
                                                   max_iter - n_iter, gap_tol)
                        n_iter += lbfgs_iter
        else:
            self.solver_name = "proximal Newton"
            X_offset = self.centered[1]
            b += W @ X_offset
            gap, n_iter = prox_newton(*self.arrays, self.labels, self.c, W, b, fit_intercept,
                                      l1_strength, l2_strength, max_iter, gap_tol)
            b -= W @ X_offset
            self._solved = True
        return float(gap), int(n_iter), gap_tol

    def penalty_below_rounding(self, l1_strength, l2_strength, gap_tol):
        """Whether the penalty is below the rounding of the gradient ``X^T (c (p - y))``,
        ``eps ||X||_F ||c||`` (the residuals ``p - y`` are within 1, known to ``eps``), so
        that no dual point can certify ``gap_tol`` (see
        :func:`~sklreg._datafits.penalty_below_rounding`)."""
        X = self.X
        values = np.ravel(X.data if sp.issparse(X) else X)
        frobenius2 = float(np.dot(values, values).astype(np.float64))
        return penalty_below_rounding(l1_strength, l2_strength,
                                      gradient_rounding(frobenius2, self.c @ self.c), gap_tol)

    @property
    def has_absent_classes(self):
        """Whether the problem has no minimizer for a class of zero weight (with
        intercepts), which :meth:`solve_present_classes` handles."""
        return self.fit_intercept and self.present_classes.size < self.n_classes

    def solve_present_classes(self, solve, W, b, l1_strength, l2_strength, max_iter, tol):
        """``solve`` through the problem of the classes of positive weight.

        ``solve(problem, W, b, l1_strength, l2_strength, max_iter, tol)`` is
        :meth:`solve` or its GPU counterpart
        (:func:`~sklreg.cuda._linear.solve_classification_cuda`), with its return values.

        With intercepts, a class of zero weight has no minimizer: its scores only add to
        the softmax normalizers, and its intercept runs to ``-inf`` (the solvers chased
        it, and stalled at gaps of 1e3 - 1e4, or certified gaps that did not hold, as the
        intercepts' dual constraint cannot). The infimum is the problem of the other
        classes, the absent ones' weight rows zero. Two classes left make a binary problem
        with the L2 strength halved: the softmax pair ``(-w / 2, w / 2)`` has the binary
        model's scores, and among the pairs with the difference ``w`` the least penalty
        (``||w||_1`` and ``||w||^2 / 4``).

        Each absent class then gets the intercept that puts its probability at
        ``ABSENT_CLASS_PROBABILITY`` at most on every training sample; the loss this adds
        (computed) is added to the gap, which so stays an upper bound, and to the gap
        tolerance returned: the cap is part of the model, the target ``tol * P_null``
        (of the present classes' problem) is beyond it. Without penalty, the absent rows
        are the present ones' mean (zero once the model is centered).

        A single present class leaves no problem: see :meth:`solve_one_class`.
        """
        present = self.present_classes
        if present.size == 1:
            return self.solve_one_class(W, b)
        absent = np.setdiff1d(np.arange(self.n_classes), present)
        if self._present_problem is None:
            index = np.zeros(self.n_classes, dtype=np.int64)
            index[present] = np.arange(present.size)
            # the samples of absent classes have zero weights: any index does for them
            self._present_problem = ClassificationProblem(
                self.X, index[self.labels], present.size, self.c, True)
        problem = self._present_problem
        binary = problem.n_blocks == 1
        if binary:
            W_present, b_present = W[present[1:]] - W[present[:1]], b[present[1:]] - b[present[:1]]
            l2_present = l2_strength / 2.0
        else:
            W_present, b_present, l2_present = W[present], b[present], l2_strength
        gap, n_iter, gap_tol = solve(problem, W_present, b_present, l1_strength, l2_present,
                                     max_iter, tol)
        self.solver_name = problem.solver_name
        if binary:
            W_present = np.vstack([-0.5 * W_present, 0.5 * W_present])
            b_present = np.concatenate([-0.5 * b_present, 0.5 * b_present])
        W[present], b[present] = W_present, b_present
        penalized = l1_strength > 0.0 or l2_strength > 0.0
        W[absent] = 0.0 if penalized else W_present.mean(axis=0)
        b[absent], log_normalizers, absent_scores = self.absent_intercept(W, b)
        added_loss = float(self.c @ np.log1p(
            absent.size * np.exp(absent_scores + b[absent[0]] - log_normalizers)))
        return gap + added_loss, n_iter, gap_tol + added_loss

    def absent_intercept(self, W, b):
        """The intercept that puts the probability of the absent classes (their weight rows
        equal) at ``ABSENT_CLASS_PROBABILITY`` at most on every training sample, given the
        present classes' rows of ``W`` and ``b``; with the present classes' log-normalizers
        and the absent classes' scores on each sample."""
        present = self.present_classes
        absent = np.setdiff1d(np.arange(self.n_classes), present)
        log_normalizers = logsumexp(
            safe_sparse_dot(self.X, W[present].T, dense_output=True) + b[present], axis=1)
        absent_scores = safe_sparse_dot(self.X, W[absent[0]], dense_output=True)
        intercept = np.min(log_normalizers - absent_scores) + np.log(ABSENT_CLASS_PROBABILITY)
        return intercept, log_normalizers, absent_scores

    def round_solution(self, W, b, gap, gap_tol, l1_strength, l2_strength):
        """Round the solution ``W``, ``b`` (as reported: see :func:`center_solution`) in
        place to the float dtype of ``X`` and return the duality gap of the rounded point,
        computed in float64 on the float64 values of ``X``; ``gap`` is that of ``W``, ``b``.

        As :func:`~sklreg.linear._least_squares.certify_rounded` and the regressor's
        intercepts: the gap of the rounded ``W`` at its own intercepts, made optimal in
        float64 (where its dual point is feasible), plus what rounding those adds to the
        objective. Where that is above ``gap_tol``, the smaller of it and ``gap +
        P(rounded) - P(W, b)``: rounding moves the dual point to first order, the
        objective to the second only. With absent classes (see
        :meth:`solve_present_classes`) that second bound alone, their intercept
        recomputed for the rounded present classes and rounded down, so that their
        probability stays within its cap (for two classes, the logit rounded away from
        zero). Without penalty, no certificate: ``W`` and ``b`` are rounded, ``gap``
        returned as is.
        """
        dtype = self.X.dtype
        if dtype == np.float64:
            return gap
        W_exact, b_exact = W.copy(), b.copy()
        W[:] = W.astype(dtype)
        penalized = l1_strength > 0.0 or l2_strength > 0.0
        if self.has_absent_classes:
            if self.n_blocks == 1:  # a single class present: its logit away from zero
                b[:] = _round_towards(b_exact, np.sign(b_exact), dtype)
            else:
                b[:] = b.astype(dtype)
                absent = np.setdiff1d(np.arange(self.n_classes), self.present_classes)
                b[absent] = _round_towards(self.absent_intercept(W, b)[0], -1.0, dtype)
        elif not penalized:
            b[:] = b.astype(dtype)
        if not penalized:
            return gap
        multinomial = self.n_blocks > 1
        operands = product_operands(self.X_float64)
        rounded_gap = np.inf
        if not self.has_absent_classes:
            Z = design_predictions(operands, W) + b[:, None]
            P = classification_probabilities(Z, multinomial)
            if self.fit_intercept:
                optimize_intercepts(Z, b, self.labels, self.c, P)
            G = design_gradient(operands, classification_residuals(P, self.labels, self.c))
            rounded_gap = classification_dual_gap(Z, P, self.labels, self.c, G, W,
                                                  l1_strength, l2_strength)[1]
            rounded_b = (b - b.mean() if multinomial else b).astype(dtype)
            rounded_gap += max(self._loss_change(Z, P, rounded_b - b), 0.0)
            b[:] = rounded_b
        if rounded_gap > gap_tol:
            Z = design_predictions(operands, W_exact) + b_exact[:, None]
            # the shift itself, not the difference of the two predictions, which lost
            # eps |X W^T| to cancellation (1e-4 of the increase at offsets of 1e4):
            # W - W_exact is exact (float32 rounding residues), the intercepts' shift small
            change = self._loss_change(
                Z, classification_probabilities(Z, multinomial),
                design_predictions(operands, W - W_exact) + (b - b_exact)[:, None])
            change += (l1_strength * (np.abs(W).sum() - np.abs(W_exact).sum())
                       + 0.5 * l2_strength * np.sum((W - W_exact) * (W + W_exact)))
            rounded_gap = min(rounded_gap, gap + max(change, 0.0))
        return float(rounded_gap)

    def _loss_change(self, Z, P, D):
        """The datafit's change from the predictions ``Z`` (probabilities ``P``) to ``Z +
        D``, summed per sample (:func:`~sklreg._datafits.classification_loss_change`);
        ``D`` may hold one shift per block."""
        D = np.ascontiguousarray(np.broadcast_to(D.reshape(D.shape[0], -1), Z.shape))
        return classification_loss_change(Z, P, D, 1.0, self.labels, self.c, Z.shape[0] > 1,
                                          np.empty((Z.shape[0], 0)))

    def solve_one_class(self, W, b):
        """The closed-form solution when one class has positive weight (with intercepts).

        Its loss has the infimum 0, at ``W = 0`` (also the penalty's minimum, and, without
        penalty, as good as any ``W``) with the other classes' intercepts at ``-inf``:
        ``P_null`` is 0 and no finite model reaches a target ``tol * P_null`` (the solvers
        chased the intercept to ``max_iter``). ``W`` is set to 0 and each absent class's
        probability to at most ``ABSENT_CLASS_PROBABILITY`` (the present class's intercept
        ``-log ABSENT_CLASS_PROBABILITY`` above theirs; for two classes, the logit of
        ``classes_[1]`` at ``+-log ABSENT_CLASS_PROBABILITY``). Returns the loss of that
        cap, ``log(1 + (n_classes - 1) ABSENT_CLASS_PROBABILITY)`` on every sample, as both
        the gap (exact: the infimum is 0) and the gap tolerance, and 0 iterations.
        """
        present = self.present_classes[0]
        W[:] = 0.0
        absent_score = np.log(ABSENT_CLASS_PROBABILITY)
        if self.n_blocks == 1:
            b[0] = -absent_score if present == 1 else absent_score
        else:
            b[:] = absent_score
            b[present] = 0.0
        loss = float(np.log1p((self.n_classes - 1) * ABSENT_CLASS_PROBABILITY))
        self.solver_name = "closed form"
        return loss, 0, loss

    def _newton(self, W, b, l2_strength, max_iter, gap_tol):
        """:func:`~sklreg.solvers._newton_l2.newton_l2` from ``W``, ``b`` (L2 alone)."""
        # centered: its Schur complement for the intercept cancels the offsets' scale
        # (offsets of 1e5 on 100 x 200 left a gap of 2e-4 after 100 steps)
        X, X_offset = self.centered
        if X is self.X:  # not centered: the float64 copy made once
            X = self.X_float64
        if self._newton_gram is None and X.shape[0] < X.shape[1]:
            # X X^T, formed once for a path's alphas (a third of a path's time on prostate)
            self._newton_gram = symmetric_products(X)[1]()
            if row_space_pays(X):
                self._newton_row_space = row_space_design(self._newton_gram)
        b += W @ X_offset
        gap, n_iter = newton_l2(X, self.labels, self.c, W, b, self.fit_intercept,
                                l2_strength, max_iter, gap_tol, gram=self._newton_gram,
                                row_space=self._newton_row_space)
        b -= W @ X_offset
        return gap, n_iter


def constant_columns(X, rows, first_rows=8):
    """Columns of the dense ``X`` constant over ``rows``, and their values.

    Only the columns equal over the first few of ``rows`` are candidates; they are checked
    on blocks of rows growing eightfold, each on the candidates left, so that a column
    which varies early costs few comparisons.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense design.
    rows : ndarray of int
        The rows to compare (at least one).
    first_rows : int, default=8
        Size of the first block of rows.

    Returns
    -------
    constant : ndarray of int
        Indices of the constant columns.
    values : ndarray
        Their values, in the dtype of ``X``.
    """
    first = X[rows[0]]
    constant = np.arange(X.shape[1])
    start, stop = 1, first_rows
    while constant.size and start < rows.size:
        block = X[np.ix_(rows[start:stop], constant)]
        constant = constant[(block == first[constant]).all(axis=0)]
        start, stop = stop, 8 * stop
    return constant, first[constant]


def _round_towards(values, direction, dtype):
    """``values`` rounded to ``dtype``, towards ``+inf`` where ``direction`` is positive,
    else towards ``-inf``; in float64."""
    values = np.asarray(values, dtype=np.float64)
    rounded = values.astype(dtype).astype(np.float64)
    up = np.asarray(direction) > 0.0
    step = np.where(up, np.inf, -np.inf).astype(dtype)
    wrong = np.where(up, rounded < values, rounded > values)
    return np.where(wrong, np.nextafter(rounded.astype(dtype), step).astype(np.float64),
                    rounded)


def writable_values(X):
    """The sparse ``X``, with copies of its values and indices where they are read-only.

    Proximal Newton writes columns gathered from CSR parts into arrays typed like the
    values and the indices, which does not compile for read-only ones (int32 indices reach
    the kernels as views: :func:`kernel_arrays`).
    """
    parts = (X.data, X.indices, X.indptr)
    if all(part.flags.writeable for part in parts):
        return X
    return type(X)(tuple(part if part.flags.writeable else part.copy() for part in parts),
                   shape=X.shape)


def class_indices(y):
    """``np.unique(y, return_inverse=True)``: the sorted classes and each label's index.

    Integer labels of a range no wider than their number are counted instead of sorted
    (100000 labels: 0.3 ms instead of 3 ms).
    """
    if y.dtype.kind in "iu" and y.size and y.dtype.itemsize <= 8:
        low, high = int(y.min()), int(y.max())
        if high - low <= y.size and high < 2**63:
            offsets = y.astype(np.int64) - low
            present = np.bincount(offsets, minlength=high - low + 1) > 0
            return (np.flatnonzero(present) + low).astype(y.dtype), (
                np.cumsum(present) - 1)[offsets]
    return np.unique(y, return_inverse=True)


def encode_targets(estimator, X, y, sample_weight):
    """``classes_``, class indices and effective sample weights (class weights applied).

    Raises a ValueError when ``y`` has fewer than two classes, or the weights sum to zero.
    Weights leaving a single class are fitted (see
    :meth:`ClassificationProblem.solve_one_class`), as ``LogisticRegression`` fits them.
    """
    if not (type(y) is np.ndarray and y.ndim == 1 and y.dtype.kind in "biuU"):
        check_classification_targets(y)  # integer, boolean, string vectors always pass
    classes, labels = class_indices(y)
    if len(classes) < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the data "
            f"contains only one class: {classes[0]!r}."
        )
    sample_weight = check_sample_weight(sample_weight, X)
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight.copy()
    if estimator.class_weight is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            class_weight = compute_class_weight(estimator.class_weight, classes=classes, y=y,
                                                sample_weight=sample_weight)
        if isinstance(estimator.class_weight, dict):
            invalid = ~(np.isfinite(class_weight) & (class_weight >= 0.0))
            if invalid.any():
                k = np.flatnonzero(invalid)[0]
                raise ValueError(
                    "class_weight must map classes to finite non-negative weights, got "
                    f"{float(class_weight[k])} for class {classes[k:k + 1].tolist()[0]!r}."
                )
        # 'balanced' divides by the weight of each class: a class of zero weight stays at zero
        class_weight[~np.isfinite(class_weight)] = 0.0
        if class_weight.max() > 0.0:  # times a power of 4 (exact), to below 1: their
            # products with the sample weights (below n_samples) cannot overflow
            _, exponent = np.frexp(class_weight.max())
            class_weight = np.ldexp(class_weight, -2 * (-(-int(exponent) // 2)))
        sw *= class_weight[labels]
        # normalized as sample weights are (a mean in [1/4, 1))
        sw = check_sample_weight(sw, X) if sw.any() else sw
    if not sw.sum() > 0.0:
        raise ValueError("The effective sample weights (class weights included) sum to zero.")
    return classes, labels, sw


class LinearClassifierMixin:
    """Decision function, predictions and probabilities of a fitted linear classifier."""

    def decision_function(self, X):
        """Linear scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
            Logit of ``classes_[1]`` for two classes, else the class scores.
        """
        check_is_fitted(self)
        return self._scores(validate_predict_data(self, X))

    def _scores(self, X):
        """:meth:`decision_function` of an ``X`` already validated (a fold's held-out part)."""
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _classes_of(self, scores):
        """The classes :meth:`predict` gives for ``scores`` (:meth:`decision_function`)."""
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]

    @staticmethod
    def _probabilities_of(scores):
        """The probabilities :meth:`predict_proba` gives for ``scores``."""
        if scores.ndim == 1:  # expit(-s), not 1 - expit(s): 0 from s = 37 on
            return np.column_stack([expit(-scores), expit(scores)])
        return softmax(scores, axis=1)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes (from ``classes_``).
        """
        return self._classes_of(self.decision_function(X))

    def predict_proba(self, X):
        """Class probabilities (sigmoid for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._probabilities_of(self.decision_function(X))

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed without overflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # device='cuda' takes dense X only (the CV estimators have no device: CPU)
        tags.input_tags.sparse = getattr(self, "device", "cpu") != "cuda"
        return tags


def small_l2_problem(X, n_blocks):
    """Whether proximal Newton should solve the L2 problem of the design ``X`` with
    ``n_blocks`` blocks (see :data:`SMALL_L2_WORK`)."""
    n_samples, n_features = X.shape
    entries = X.nnz if sp.issparse(X) else n_samples * n_features
    return n_features <= n_samples and n_blocks * entries <= SMALL_L2_WORK


def warn_if_not_converged(gap, gap_tol, max_iter, n_iter, solver="proximal Newton", where="",
                          penalized=True, below_rounding=False):
    """ConvergenceWarning naming the gap reached when the solver stopped above ``gap_tol``.

    A solver stops before ``max_iter`` (``n_iter < max_iter``) only where rounding keeps
    it from progressing (no decrease left to find, or a gap that rounding of the
    predictions takes back above ``gap_tol``): the message then says so, instead of
    advising more iterations. ``where``, e.g. ``' at alpha=0.01'``, follows
    ``max_iter`` in the message. Without penalty (``penalized=False``) ``gap`` is the
    Newton decrease that stands for the duality gap. ``below_rounding``: the penalty is
    below the rounding of the gradient (see :meth:`ClassificationProblem.penalty_below_rounding`),
    where no dual point certifies ``gap_tol`` however many iterations run.
    """
    if gap > gap_tol:
        measure = "duality gap" if penalized else "Newton decrease"
        if below_rounding:
            stopped = f"stopped after {n_iter} of max_iter={max_iter} iterations{where}"
            advice = ("The penalty is below the float64 rounding of the gradient, so no "
                      "dual point can certify tol, however many iterations run. Use "
                      "penalty=None, or a larger alpha, or a looser tol.")
        elif n_iter < max_iter:
            stopped = (f"stopped after {n_iter} of max_iter={max_iter} iterations{where}, "
                       "limited by float64 rounding,")
            advice = "Increase tol."
        else:
            stopped = f"reached max_iter={max_iter}{where}"
            advice = "Increase max_iter, or the regularization."
        warnings.warn(
            f"The {solver} solver {stopped} with a {measure} of {gap:.3e}, above the target "
            f"tol * P_null = {gap_tol:.3e}. {advice}",
            ConvergenceWarning,
            stacklevel=3,
        )


def warn_if_problem_not_converged(problem, gap, gap_tol, max_iter, n_iter, l1_strength,
                                  l2_strength, solver=None, where=""):
    """:func:`warn_if_not_converged` for a solve of ``problem`` (a
    :class:`ClassificationProblem`) at these strengths, by ``solver`` (default: the
    problem's own solver): it says when the penalty is below the rounding of the gradient."""
    penalized = l1_strength > 0.0 or l2_strength > 0.0
    below_rounding = (penalized and gap > gap_tol
                      and problem.penalty_below_rounding(l1_strength, l2_strength, gap_tol))
    warn_if_not_converged(gap, gap_tol, max_iter, n_iter, solver or problem.solver_name, where,
                          penalized, below_rounding)


def warn_if_rounding_exceeds_tol(gap, rounded_gap, gap_tol, dtype):
    """ConvergenceWarning where rounding the solution to ``dtype`` (float32) is what takes
    its duality gap above ``gap_tol`` (a ``gap`` already above is
    :func:`warn_if_not_converged`'s), as the regressor warns for its intercepts."""
    if gap <= gap_tol < rounded_gap:
        name = np.dtype(dtype).name
        warnings.warn(
            f"Rounding the coefficients and intercepts to {name} takes the duality gap from "
            f"{gap:.3e} to {rounded_gap:.3e}, above the target tol * P_null = {gap_tol:.3e}: "
            f"this tolerance is finer than {name} can certify for this model. Use float64 "
            "input, or increase tol.",
            ConvergenceWarning, stacklevel=3,
        )


def center_solution(W, b, penalized):
    """Center, in place, what the multinomial model leaves free, as fitted models report it.

    For more than two classes (several rows in ``W``), the softmax is invariant to a common
    shift of the intercepts: ``b`` is centered. So are unpenalized weights to a common row,
    which the solver leaves arbitrary (it differed between dense and sparse ``X``): without
    penalty the columns of ``W`` are centered too, as ``LogisticRegression(C=np.inf)``
    reports them. A penalty fixes the row itself.
    """
    if len(b) > 1:
        b -= b.mean()
        if not penalized:
            W -= W.mean(axis=0)


class LinearClassifier(CachedParamsMixin, LinearClassifierMixin, ClassifierMixin,
                       BaseEstimator):
    r"""Logistic / multinomial regression with an L1, L2 or elastic-net penalty.

    For two classes (``y_i`` in {-1, +1}, +1 for ``classes_[1]``), minimizes

    .. math::

        P(w, b) = \frac{1}{S} \sum_i s_i \log(1 + e^{-y_i (x_i^\top w + b)})
                  + \alpha \Big(\rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2\Big)

    and for ``K > 2`` classes the true multinomial (softmax) loss, with one weight row and
    one intercept per class:

    .. math::

        P(W, b) = \frac{1}{S} \sum_i s_i \big(-\log \mathrm{softmax}(W x_i + b)_{y_i}\big)
                  + \alpha \Big(\rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_F^2\Big)

    where :math:`s_i` are the sample weights times the class weights, :math:`S = \sum_i s_i`
    and :math:`\rho` is 1 for ``penalty='l1'``, 0 for ``'l2'`` and ``l1_ratio`` for
    ``'elasticnet'``. Intercepts are never penalized.

    Conversion: scikit-learn's ``LogisticRegression(C=c, l1_ratio=r)`` (and the deprecated
    ``penalty='l1' / 'l2' / 'elasticnet'``, binary or multinomial) minimizes ``S C`` times
    this objective with ``alpha = 1 / (c S)`` and the same ``l1_ratio`` (``S = n_samples``
    without weights; a ``class_weight`` dict changes ``S``, 'balanced' does not);
    ``C=np.inf`` is ``penalty=None``.

    Solved by proximal Newton with working sets (coordinate descent on each quadratic
    model, line search on the objective), stopped on a certified duality gap. With an L2
    penalty only, binary problems with ``n_samples <= min(128, n_features)`` use exact
    Newton steps instead (through the ``n_samples x n_samples`` Gram matrix), small ones
    (no more features than samples, at most 20000 stored entries of ``X`` times the number
    of weight rows) proximal Newton as above, and the others L-BFGS on the exact objective
    (the intercepts made optimal after each step; two products with ``X`` an iteration),
    each iterate certified by the same duality gap.
    Binary L2 problems without intercept, from a cold start, with no more samples than
    features and a weak enough penalty (``1 + sum_i c_i ||x_i||^2 / (4 alpha)``, a bound on
    the primal condition number with ``c`` the weights divided by their sum, above 200),
    first run dual coordinate descent (LIBLINEAR's dual logistic method: an epoch costs one
    pass over ``X``; a handful suffice on text-like data), handing over to L-BFGS when an
    epoch does not halve the duality gap; warm starts (``warm_start``, paths of
    LinearClassifierCV) go to L-BFGS. When L-BFGS has not converged after 50 iterations plus
    the price of a Newton fit in iterations (raw, unscaled features), or 10 iterations before
    ``max_iter``, exact Newton steps take over if they are affordable (a system of
    ``n_classes * n_samples`` unknowns when ``n_samples < n_features``, otherwise a Hessian
    of ``n_classes * n_features``; one block for two classes).

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet'} or None, default='l2'
        Penalty on the weights. None fits unpenalized logistic regression (``alpha``
        ignored; it has no solution on separable data).
    alpha : float, default=1e-4
        Regularization strength, >= 0 (``alpha=0`` is no penalty).
    l1_ratio : float, default=0.15
        Elastic-net mixing parameter in [0, 1]; used only with ``penalty='elasticnet'``.
    fit_intercept : bool, default=True
        Fit unpenalized intercepts.
    max_iter : int or None, default=None
        Maximum number of proximal Newton (or Newton) iterations, or of dual coordinate
        descent epochs, L-BFGS and Newton iterations together; of FISTA iterations with
        ``device='cuda'``. None is 100 on the CPU and 1000 with ``device='cuda'`` (FISTA
        took 50 - 850 iterations where proximal Newton takes 6 - 34 on small standardized
        sets).
    tol : float, default=1e-4
        Relative tolerance: the solver stops when the duality gap falls below
        ``tol * P_null``, where ``P_null`` is the objective of the intercept-only model.
        Without penalty (no dual bound), the decrease the quadratic model predicts for a
        full Newton step is used instead.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` (same classes and features).
    class_weight : dict, 'balanced' or None, default=None
        Weights multiplying the sample weights of each class; 'balanced' uses
        ``S / (n_classes * S_k)`` as scikit-learn does.
    device : {'cpu', 'cuda'}, default='cpu'
        Where the solver runs. 'cuda' (dense X only; needs ``pip install sklreg[cuda]`` and
        a CUDA GPU) runs accelerated proximal gradient with adaptive restart (FISTA) on
        the GPU, stopped on the same certified relative duality gap (``max_iter`` then
        counts its iterations; without penalty it stops on the gradient norm). Fitted
        attributes are NumPy arrays either way.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
        Weights, in the float dtype of ``X`` (float32 for float32 ``X``, dense or sparse,
        as ``LogisticRegression``; ``dual_gap_`` certifies them as rounded). Without
        penalty, for ``K > 2`` classes (where only the differences of the rows matter),
        each column is reported with zero mean, as ``LogisticRegression``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``); for ``K > 2`` classes, where only
        their differences matter, they are reported with zero mean. A class of zero total
        weight (sample and class weights) has no optimal intercept (it runs to ``-inf``):
        the other classes' problem is solved, and the class gets a zero weight row and an
        intercept that puts its probability below ``2**-104`` on the training samples
        (with ``device='cuda'`` too). When a single class has positive weight (sample or
        class weights zeroing the others), the fit is that closed form, with no
        iterations: ``coef_`` zero, the other classes at probability ``2**-104`` at most
        everywhere (for two classes, an intercept of ``+-104 log 2``, about ``+-72.1``),
        and ``dual_gap_`` the loss of that cap (the infimum, 0, is not attained).
    n_iter_ : int
        Iterations run by the solver (proximal Newton, Newton, L-BFGS, or dual coordinate
        descent epochs plus L-BFGS iterations).
    dual_gap_ : float
        Final duality gap, an upper bound on ``P(coef_, intercept_) - min P`` (NaN without
        penalty), of the returned coefficients: for float32 ``X``, of the rounded ones
        (computed in float64).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklreg import LinearClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = LinearClassifier(penalty="l1", alpha=0.05).fit(X, y)
    >>> model.coef_.shape, bool(model.score(X, y) > 0.9)
    ((1, 30), True)
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "device": [StrOptions({"cpu", "cuda"})],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=None,
        tol=1e-4,
        warm_start=False,
        class_weight=None,
        device="cpu",
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.device = device

    def _initial_point(self, classes, n_blocks, n_features):
        W = np.zeros((n_blocks, n_features))
        b = np.zeros(n_blocks)
        if (self.warm_start and hasattr(self, "coef_") and self.coef_.shape == W.shape
                and np.array_equal(self.classes_, classes)):
            W[:] = self.coef_
            if self.fit_intercept:
                b[:] = self.intercept_
        return W, b

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float32 or float64; never modified).
        y : array-like of shape (n_samples,)
            Class labels (any hashable, e.g. strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (a positive sum); the loss is their weighted mean.

        Returns
        -------
        self : LinearClassifier
            Fitted estimator.
        """
        check_device(self.device, X)  # before validation: a failed fit changes nothing
        X, y = validate_fit_data(self, X, y)
        use_cuda = check_device(self.device, X)  # again: a sparse DataFrame is sparse now
        classes, labels, sw = encode_targets(self, X, y, sample_weight)
        problem = ClassificationProblem(X, labels, len(classes), sw, self.fit_intercept)
        l1_strength, l2_strength = penalty_strengths(self.penalty, self.alpha, self.l1_ratio)
        W, b = self._initial_point(classes, problem.n_blocks, problem.n_features)
        max_iter = self.max_iter
        if max_iter is None:
            max_iter = DEFAULT_MAX_ITER_CUDA if use_cuda else DEFAULT_MAX_ITER
        if use_cuda:
            from ..cuda._linear import solve_classification_cuda

            gap, n_iter, gap_tol = solve_classification_cuda(
                problem, W, b, l1_strength, l2_strength, max_iter, self.tol)
        else:
            gap, n_iter, gap_tol = problem.solve(W, b, l1_strength, l2_strength, max_iter,
                                                 self.tol)
        penalized = l1_strength > 0.0 or l2_strength > 0.0
        warn_if_problem_not_converged(problem, gap, gap_tol, max_iter, n_iter, l1_strength,
                                      l2_strength, "GPU FISTA" if use_cuda else None)
        center_solution(W, b, penalized)
        rounded_gap = problem.round_solution(W, b, gap, gap_tol, l1_strength, l2_strength)
        warn_if_rounding_exceeds_tol(gap, rounded_gap, gap_tol, X.dtype)
        self.classes_ = classes
        self.coef_ = W.astype(X.dtype, copy=False)
        self.intercept_ = b.astype(X.dtype, copy=False)
        self.n_iter_ = n_iter
        self.dual_gap_ = rounded_gap if penalized else float("nan")
        return self
