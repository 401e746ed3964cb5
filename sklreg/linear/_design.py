"""Turn validated ``(X, y, sample_weight)`` into the problem the solvers work on.

With sample weights ``s_i`` summing to ``S``, the objective of ``CONVENTIONS.md``
multiplied by ``S`` is

    1/2 sum_i s_i (y_i - x_i.w - b)^2 + S alpha R(w),

and minimizing over ``b`` centers ``X`` and ``y`` by their weighted means. The
solvers therefore see the rows scaled by ``sqrt(s_i)``, ``y`` centered, and ``X``
centered implicitly (``X_mean`` passed to the kernels) when sparse, so the sparsity is
kept, and when dense, laid out by columns with uniform weights, which saves a pass over
it; explicitly otherwise, and for the columns whose mean outweighs their spread (the
cancellation of implicit centering grows with that ratio), stored centered.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..solvers._columns import (
    center_scale_columns,
    centered_column_sq_norms,
    column_sums_sq_norms,
    copy_to_columns,
    unsigned_indices,
)
from ..solvers._direct import CENTERING_CANCELLATION

# sparse columns with mean^2 above this times their variance are stored centered: the
# least-squares solvers eliminate the intercept exactly, only the cancellation of implicit
# centering hurts them (a gap floor near 1e-9 at a ratio of 1e6, no convergence at 1e10).
# Below it, implicit centering reaches relative gaps of 1e-13 (riboflavin's columns, ratios
# up to 4e3: centered explicitly, one of its lasso fits stalled at 4e-11 instead)
CANCELLING_OFFSET_RATIO = 1e4

# a dense design's columns with mean^2 above this times their variance are centered
# explicitly (in a pass over those columns alone); below it for all of them, the means
# are left implicit, which saves that pass (8 - 16% of the lasso fits on 2000 x 500
# independent columns) and the copy of a writable Fortran-ordered input, for at most
# twice the rounding of explicit centering (cancellation grows with the ratio: the Gram
# certificate of a fit on columns offset by 20 times their spread came out 1e-9 of the
# objective looser)
DENSE_IMPLICIT_OFFSET_RATIO = 1.0

# entries densified at a time by :func:`dense_fortran_copy` (8 MB of float64)
DENSIFY_BLOCK_ENTRIES = 2**20

# a dense float64 design of at least this many entries (2 MiB: the L2 cache of a core
# here) gets a float32 shadow for coordinate descent when its caller asks for one: below
# it, its columns stay cached and an epoch costs little more in float64
FLOAT32_SHADOW_MIN_ENTRIES = 2**18
# nor with columns shorter than this: descent on their working sets runs in cache, and
# the shadow's tighter target cost riboflavin's (71 x 4088) lasso at alpha_max / 1000 2384
# epochs instead of 2008 (leukemia, 72 x 7129: within the noise); 200 x 2000 gained 7%
FLOAT32_SHADOW_MIN_SAMPLES = 128
# the shadow's fits are certified by products with the input, uncentered: its columns
# whose mean^2 exceeds this times their variance would cost those products about
# log10(ratio) / 2 digits each, so their design gets no shadow
SHADOW_MAX_OFFSET_RATIO = 1e6
# centered columns whose norm is outside this range are not copied to float32 (overflow,
# or the subnormals' lost digits)
FLOAT32_NORM_RANGE = (1e-30, 1e30)


class Float32Shadow(NamedTuple):
    """A float32 copy of a dense float64 design, centered explicitly, its rows weighted,
    laid out by columns, on which coordinate descent runs at half the memory traffic of
    the design itself (a third less time an epoch on 2000 x 500). Its weights solve a
    problem whose design differs by float32 rounding, about 1e-7 of the objective in
    relative gap on the lasso: they are certified on the float64 design, and descent goes
    on there when that gap exceeds the target.

    Attributes
    ----------
    kernel_arrays : tuple
        The float32 copy as the kernels take it (see :func:`kernel_arrays`).
    lipschitz : ndarray of shape (n_features,)
        Squared norms of the centered columns.
    source : ndarray of shape (n_samples, n_features)
        The float64 input, C- or Fortran-ordered, never modified.
    sample_weight : ndarray of shape (n_samples,) or None
        The weights its rows were scaled with (their square roots), None for uniform.
    centered : bool
        Whether the copy was centered (an intercept is fitted).
    """

    kernel_arrays: tuple
    lipschitz: np.ndarray
    source: np.ndarray
    sample_weight: np.ndarray | None
    centered: bool


class RowGather(NamedTuple):
    """The rows ``rows`` of the dense ``source``, to be gathered when first needed."""

    source: np.ndarray
    rows: np.ndarray


class Design:
    """The transformed least-squares problem.

    Attributes
    ----------
    A : ndarray or scipy.sparse matrix
        Row-weighted design, in the input's float dtype: Fortran-ordered or CSC when laid
        out for coordinate descent, else in the input's layout. Given as a
        :class:`RowGather`, it is gathered on first access: solvers that use the design
        only through its Gram matrix (a path on it) never pay for the copy.
    X_mean : ndarray of shape (n_features,)
        Offsets the solvers remove implicitly: the column means, but for the columns
        centered explicitly (all those of a dense design laid out by rows or weighted),
        what the rounding of that centering left (or, for a design of
        :func:`moments_design`, the rest of its centering by the training rows' means).
    X_offset : ndarray of shape (n_features,)
        Weighted column means (zeros when no intercept is fitted).
    Y : ndarray of shape (n_samples, n_targets), float64
        Row-weighted, centered targets.
    y_offset : ndarray of shape (n_targets,)
        Weighted target means (zeros when no intercept is fitted).
    sqrt_sw : ndarray of shape (n_samples,)
        Square roots of the sample weights.
    sw_sum : float
        Sum of sample weights ``S``.
    kernel_arrays : tuple or None
        ``(X, X_data, X_indices, X_indptr, is_sparse)``, the design as the
        coordinate-descent kernels take it (see :func:`kernel_arrays`); for a dense
        design laid out by rows, formed from a copy by columns on first access; None for a
        sparse design kept in CSR layout (direct solvers only).
    lipschitz : ndarray of shape (n_features,) or None
        Squared norms of the centered columns (the coordinate-wise Lipschitz constants),
        when known.
    shape : tuple of int
        ``A``'s shape.
    dtype : numpy.dtype
        ``A``'s dtype.
    is_sparse : bool
        Whether ``A`` is a sparse matrix.
    column_counts : ndarray of shape (n_features,) or None
        Stored entries of each column of a sparse design, computed on first access.
    float32_shadow : Float32Shadow or None
        A float32 copy for coordinate descent, whose fits this design certifies (see
        :class:`Float32Shadow`). Its design is then laid out on first access of ``A``,
        ``X_mean``, ``lipschitz`` or ``kernel_arrays``; until then :meth:`product_operands`
        certify by products with the input itself.
    """

    def __init__(self, A, X_mean, X_offset, Y, y_offset, sqrt_sw, sw_sum, kernel_arrays=None,
                 lipschitz=None, float32_shadow=None):
        self._A = A
        self._kernel_arrays = kernel_arrays
        self._column_counts = None
        self._null_objectives = None
        self._X_mean, self.X_offset, self.Y, self.y_offset = X_mean, X_offset, Y, y_offset
        self.sqrt_sw, self.sw_sum, self._lipschitz = sqrt_sw, sw_sum, lipschitz
        self.float32_shadow = float32_shadow
        if isinstance(A, RowGather):
            self.shape = (len(A.rows), A.source.shape[1])
            self.dtype, self.is_sparse = A.source.dtype, False
        else:
            self.shape, self.dtype, self.is_sparse = A.shape, A.dtype, sp.issparse(A)

    @property
    def _awaits_layout(self):
        """Whether this is a shadowed input not yet laid out."""
        return self.float32_shadow is not None and self._A is self.float32_shadow.source

    def _lay_out(self):
        """The design of a shadowed input, laid out as :func:`prepare_design` does without
        a shadow."""
        if not self._awaits_layout:
            return
        shadow = self.float32_shadow
        design = prepare_design(shadow.source, self.Y[:, :0], shadow.sample_weight,
                                shadow.centered)
        self._A, self._X_mean = design.A, design.X_mean
        self._lipschitz, self._kernel_arrays = design.lipschitz, design.kernel_arrays

    @property
    def A(self):
        self._lay_out()
        if isinstance(self._A, RowGather):
            self._A = self._A.source[self._A.rows]
        return self._A

    @property
    def X_mean(self):
        self._lay_out()
        return self._X_mean

    @property
    def lipschitz(self):
        self._lay_out()
        return self._lipschitz

    def product_operands(self):
        """``(A, X_mean, row_scale)`` for products with the implicitly centered design
        ``diag(row_scale) A - sqrt_sw X_mean^T``: ``A`` and unit scales, or for a shadowed
        input not yet laid out, the input itself, its means and ``sqrt_sw``, so that
        certifying a fit of its shadow costs no copy."""
        if self._awaits_layout:
            return self._A, self.X_offset, self.sqrt_sw
        return self.A, self.X_mean, np.ones(self.shape[0])

    @property
    def column_counts(self):
        """Stored entries of each column of a sparse design (computed once), else None."""
        if self._column_counts is None and self.is_sparse:
            self._column_counts = stored_per_column(self.A)
        return self._column_counts

    @property
    def by_columns(self):
        """Whether :attr:`kernel_arrays` are at hand without a copy (a dense design laid
        out by rows is copied by columns on their first access)."""
        return self._kernel_arrays is not None or self.is_sparse

    @property
    def kernel_arrays(self):
        self._lay_out()
        if self._kernel_arrays is None and not self.is_sparse:
            self._kernel_arrays = kernel_arrays(_copy(self.A, "F"))
        return self._kernel_arrays

    def intercepts(self, W, dtype=np.float64):
        """Optimal intercepts of weights ``W`` (n_targets, n_features), rounded to ``dtype``.

        Returns the intercepts and, per target, what rounding adds to the objective:
        ``P(w, b + d) = P(w, b) + d^2 / 2`` when ``b`` is optimal for ``w``.
        """
        exact = self.y_offset - W @ self.X_offset
        rounded = exact.astype(dtype)
        return rounded, 0.5 * (rounded.astype(np.float64) - exact) ** 2

    def null_objectives(self):
        """Objective of the intercept-only model for each target (times ``S``), formed
        on the first call (a path asks at every alpha); read-only."""
        if self._null_objectives is None:
            self._null_objectives = 0.5 * np.einsum("ik,ik->k", self.Y, self.Y)
            self._null_objectives.flags.writeable = False
        return self._null_objectives


def stored_per_column(A):
    """Stored entries of each column of the CSR or CSC matrix ``A``."""
    if A.format == "csc":
        return np.diff(A.indptr)
    return np.bincount(A.indices, minlength=A.shape[1])


def stored_per_row(A):
    """Stored entries of each row of the CSR or CSC matrix ``A``."""
    if A.format == "csr":
        return np.diff(A.indptr)
    return np.bincount(A.indices, minlength=A.shape[0])


def kernel_arrays(A):
    """``(X, X_data, X_indices, X_indptr, is_sparse)``: a design as the kernels take it.

    Dense designs pass as ``X`` (CSC placeholders empty), sparse ones as CSC parts (``X`` a
    placeholder), with the same array types either way so one compiled kernel serves
    both. Indices are unsigned (see :func:`~sklreg.solvers._columns.unsigned_indices`).
    """
    if sp.issparse(A):
        # typed Fortran-ordered by Numba: an array with a dimension of 1 is also C-contiguous
        placeholder = np.empty((2, 2), dtype=A.dtype, order="F")
        return (placeholder, A.data, *unsigned_indices(A), True)
    no_index = np.empty(0, dtype=np.uint32)
    return A, np.empty(0, dtype=A.dtype), no_index, no_index, False


def prepare_design(X, Y, sample_weight, fit_intercept, fortran=True, copy=True,
                   float32_shadow=False):
    """Build the :class:`Design` of a least-squares problem.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated float32 or float64 design; never modified.
    Y : ndarray of shape (n_samples, n_targets)
        Targets, float64; never modified.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum.
    fit_intercept : bool
        Whether to center.
    fortran : bool, default=True
        Lay the design out by columns (Fortran order, or CSC when sparse), as coordinate
        descent needs; otherwise keep the input's layout (enough for the direct solvers
        and for products; a dense design is then copied by columns when a kernel needs it).
    copy : bool, default=True
        False lets a dense, writable ``X`` in the chosen layout be centered and scaled in
        place, instead of a copy.
    float32_shadow : bool, default=False
        Give a dense float64 ``X`` laid out for coordinate descent, of at least
        ``FLOAT32_SHADOW_MIN_ENTRIES`` entries and
        ``FLOAT32_SHADOW_MIN_SAMPLES`` rows, a :class:`Float32Shadow`, where its columns
        allow (see :func:`_shadowed_design`).

    Returns
    -------
    design : Design
    """
    n_samples, n_features = X.shape
    uniform = sample_weight is None
    if uniform:
        sw, sw_sum, sqrt_sw = np.ones(n_samples), float(n_samples), np.ones(n_samples)
    else:
        sw = np.asarray(sample_weight, dtype=np.float64)
        sw_sum = float(sw.sum())
        sqrt_sw = np.sqrt(sw)

    X_offset = np.zeros(n_features)  # (formed below, with the layout of the design)
    Y_design, y_offset = design_targets(Y, None if uniform else sw, fit_intercept)

    if sp.issparse(X):
        A = X.tocsc(copy=False) if fortran else X
        unweighted = A
        if not uniform:
            A = type(A)(A.multiply(sqrt_sw[:, None].astype(A.dtype)))
        elif not A.has_canonical_format:
            A = A.copy()
        if not A.has_canonical_format:
            A.sum_duplicates()
        X_mean = X_offset
        if fit_intercept:  # the offsets of the design as stored (rounded, weighted)
            X_offset = X_mean = _weighted_means(A, sqrt_sw, sw_sum)
            dominated, _ = offset_dominated_columns(
                A, np.full(n_samples, 1.0 / sw_sum), CANCELLING_OFFSET_RATIO, X_offset)
            if dominated.size:
                # centered in float64 before weighting: weighted in A's dtype first, their
                # entries would round at the offset's scale, losing the spread's digits
                columns = unweighted[:, dominated].toarray().astype(np.float64)
                offsets = sw @ columns / sw_sum
                block = ((columns - offsets) * sqrt_sw[:, None]).astype(A.dtype)
                A = replace_columns(A, dominated, block)
                X_mean = X_offset.copy()  # what the block's rounding left, implicitly
                X_mean[dominated] = _weighted_means(A[:, dominated], sqrt_sw, sw_sum)
                X_offset = X_offset.copy()
                X_offset[dominated] = offsets + X_mean[dominated]
        arrays, lipschitz = None, None
        if A.format == "csc":
            arrays = kernel_arrays(A)
            lipschitz = centered_column_sq_norms(*arrays, sqrt_sw, X_mean, sw_sum)
        return Design(A, X_mean, X_offset, Y_design, y_offset, sqrt_sw, sw_sum, arrays,
                      lipschitz)

    if (float32_shadow and fortran and X.dtype == np.float64
            and X.size >= FLOAT32_SHADOW_MIN_ENTRIES and len(X) >= FLOAT32_SHADOW_MIN_SAMPLES
            and (X.flags.c_contiguous or X.flags.f_contiguous)):
        design = _shadowed_design(X, Y_design, y_offset, None if uniform else sw, sqrt_sw,
                                  sw_sum, fit_intercept)
        if design is not None:
            return design

    if fortran and fit_intercept and uniform:
        A, X_mean, X_offset, lipschitz = _columns_centered_implicitly(X, sw_sum, copy)
        return Design(A, X_mean, X_offset, Y_design, y_offset, sqrt_sw, sw_sum,
                      kernel_arrays(A), lipschitz)

    order = "F" if fortran or X.flags.f_contiguous else "C"
    X_mean = np.zeros(n_features)
    lipschitz = None
    if fit_intercept or not uniform:  # laid out by rows, or weighted: centered explicitly
        if fit_intercept:
            X_offset = _weighted_column_sums(X, sw) / sw_sum
        in_place = not copy and X.flags[order + "_CONTIGUOUS"] and X.flags.writeable
        A = X if in_place else _copy(X, order)
        column_sums, sq_norms = center_scale_columns(
            A, X_offset.astype(X.dtype), sqrt_sw.astype(X.dtype), order == "F",
            np.arange(n_features)
        )
        if fit_intercept:
            # what subtracting the offsets rounded to X's dtype left: removed implicitly
            X_mean = column_sums / sw_sum
            X_offset = X_offset.astype(X.dtype).astype(np.float64) + X_mean
        # ||A_j - X_mean_j q||^2, with A_j . q = S X_mean_j
        lipschitz = np.maximum(sq_norms - sw_sum * X_mean**2, 0.0)
    elif X.flags[order + "_CONTIGUOUS"]:
        A = X
    else:
        A = _copy(X, order)
    arrays = kernel_arrays(A) if order == "F" else None
    if lipschitz is None and fortran:
        lipschitz = centered_column_sq_norms(*arrays, sqrt_sw, X_mean, sw_sum)
    return Design(A, X_mean, X_offset, Y_design, y_offset, sqrt_sw, sw_sum, arrays, lipschitz)


def _shadowed_design(X, Y_design, y_offset, sample_weight, sqrt_sw, sw_sum, fit_intercept):
    """The :class:`Design` of the dense float64 ``X`` (C- or Fortran-ordered) with a
    :class:`Float32Shadow`, its own layout left until it is needed: two passes over ``X``,
    for its column summaries and for the shadow, instead of a copy by columns. None where
    a column's offset or scale rules a shadow out."""
    weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    sums, sq_norms = column_sums_sq_norms(X, weights)
    X_offset = sums / sw_sum if fit_intercept else np.zeros(X.shape[1])
    lipschitz = np.maximum(sq_norms - sw_sum * X_offset**2, 0.0)
    norms = np.sqrt(lipschitz[lipschitz > 0.0])
    low, high = FLOAT32_NORM_RANGE
    if (np.any(sw_sum * X_offset**2 > SHADOW_MAX_OFFSET_RATIO * lipschitz)
            or not np.all((norms > low) & (norms < high))):
        return None
    shadow = np.empty(X.shape, dtype=np.float32, order="F")
    copy_to_columns(X, X_offset, np.empty(0) if sample_weight is None else sqrt_sw, shadow)
    return Design(X, None, X_offset, Y_design, y_offset, sqrt_sw, sw_sum,
                  float32_shadow=Float32Shadow(kernel_arrays(shadow), lipschitz, X,
                                               sample_weight, fit_intercept))


def _columns_centered_implicitly(X, sw_sum, copy):
    """The design of the dense ``X`` (uniform weights) laid out by columns, its column
    means removed implicitly (``X_mean``) where they are small next to the spread.

    ``X`` itself when it is Fortran-ordered and writable, else its copy by columns: one
    pass over it for its summaries instead of the passes of centering. Implicit centering
    costs digits in proportion to ``mean^2 / variance`` (cancellation in the kernels'
    products and in ``A^T A - S mean mean^T``): the columns whose ratio exceeds
    ``DENSE_IMPLICIT_OFFSET_RATIO`` are centered explicitly by their means (``X_mean``
    keeping what that rounding left), in a pass over those columns alone, on a copy unless
    ``copy`` is False. Arguments as :func:`prepare_design`'s.

    Returns
    -------
    A : ndarray of shape (n_samples, n_features), Fortran-ordered
    X_mean, X_offset, lipschitz : ndarray of shape (n_features,)
        As in :class:`Design`.
    """
    # X itself is only read; a read-only one (a memory map, a DataFrame's values under
    # copy-on-write) is copied all the same: the kernels compiled for writable arrays
    # would compile again for it (10 s for a first lasso fit)
    A = X if X.flags.f_contiguous and X.flags.writeable else _copy(X, "F")
    column_sums, sq_norms = column_sums_sq_norms(A, np.ones(X.shape[0]))
    X_mean = column_sums / sw_sum
    X_offset = np.zeros(X.shape[1])
    # mean^2 > ratio * variance, with sq_norms / S = mean^2 + variance
    dominated = ((1.0 + DENSE_IMPLICIT_OFFSET_RATIO) * sw_sum * X_mean**2
                 > DENSE_IMPLICIT_OFFSET_RATIO * sq_norms)
    if np.any(dominated):
        if A is X and copy:
            A = _copy(X, "F")
        X_offset = np.where(dominated, X_mean, 0.0).astype(X.dtype).astype(np.float64)
        columns = np.flatnonzero(dominated)  # the others are left as they are
        centered_sums, centered_sq_norms = center_scale_columns(
            A, X_offset.astype(X.dtype), np.ones(X.shape[0], dtype=X.dtype), True, columns)
        column_sums[columns] = centered_sums[columns]
        sq_norms[columns] = centered_sq_norms[columns]
        X_mean = column_sums / sw_sum  # (what the rounding left, for those columns)
    X_offset += X_mean
    # ||A_j - X_mean_j q||^2, with A_j . q = S X_mean_j
    lipschitz = np.maximum(sq_norms - sw_sum * X_mean**2, 0.0)
    return A, X_mean, X_offset, lipschitz


def design_targets(Y, sample_weight, fit_intercept):
    """``(Y_design, y_offset)`` of :class:`Design`: the targets centered by their weighted
    means (when ``fit_intercept``) and scaled by the square roots of the weights."""
    if not fit_intercept:
        y_offset = np.zeros(Y.shape[1])
    else:
        sw = np.ones(Y.shape[0]) if sample_weight is None else sample_weight
        y_offset = sw @ Y / sw.sum()
        # a constant target is its own mean: the weighted mean may round off it, which
        # would leave rounding noise to fit (and an automatic alpha grid at its level)
        constant = Y.min(axis=0) == Y.max(axis=0)
        y_offset[constant] = Y[0, constant]
    Y_design = Y - y_offset
    if sample_weight is not None:
        Y_design *= np.sqrt(sample_weight)[:, None]
    return Y_design, y_offset


def moments_design(moments, Y, sample_weight, fit_intercept, rest=None, rest_sums=None):
    """The :class:`Design` of the rows of the data of ``moments`` (see
    :func:`~sklreg.linear._least_squares.whole_data_moments`) but ``rest``, with no pass
    over them.

    Its design is those rows of ``moments.Z``, centered by the whole data's means and
    scaled, gathered only when a solver needs more than its Gram matrix; ``X_mean``
    removes implicitly the rest of the centering, from the sums of the moments. A column
    whose training mean lies far from the whole data's, compared with its spread on the
    training rows (``mean^2 > CANCELLING_OFFSET_RATIO variance``), would cancel in every
    product of that implicit centering (coordinate descent on it stalled at relative gaps
    near 1e-12 for a ratio of 1e10): the rows are then gathered at once and such columns
    centered explicitly, ``X_mean`` keeping what that rounding left (as
    :func:`prepare_design`); so are the columns whose training rows hold less than
    ``CENTERING_CANCELLATION`` of their squared norm (test rows of far larger weights, or
    outliers), whose means, from those sums, cancelled too. Their Gram summaries recompute
    those columns on the design anyway (:func:`~sklreg.solvers._direct.recenter_cancelled`).

    Parameters
    ----------
    moments : WholeDataMoments
    Y : ndarray of shape (n_samples, n_targets)
        The targets of all the rows, float64.
    sample_weight : ndarray of shape (n_samples,) or None
        The weights of all the rows.
    fit_intercept : bool
        As for the moments.
    rest : ndarray of int, optional
        Sorted indices of the rows left out (a fold's test part), each once; None for
        none.
    rest_sums : PartSums, optional
        ``moments.sums_of(rest)``, formed here when not given.

    Returns
    -------
    design : Design
    """
    n_samples, n_features = moments.Z.shape
    rest = np.empty(0, dtype=np.intp) if rest is None else rest
    if rest_sums is None:
        rest_sums = moments.sums_of(rest)
    if rest.size:
        kept = np.ones(n_samples, dtype=bool)
        kept[rest] = False
        rows = np.flatnonzero(kept)
        A = RowGather(moments.Z, rows)
        Y = Y[rows]
        sample_weight = None if sample_weight is None else sample_weight[rows]
        sqrt_sw = moments.sqrt_sw[rows]
    else:
        A, sqrt_sw = moments.Z, moments.sqrt_sw
    sw_sum = float(len(Y) if sample_weight is None else sample_weight.sum())
    X_mean = np.zeros(n_features)
    if fit_intercept:  # the design's sums, Z^T sqrt(s), from the whole data's and the rest's
        X_mean = (moments.weighted_sums - rest_sums.weighted_sums) / sw_sum
    X_offset = moments.X_offset + X_mean
    if fit_intercept and rest.size:
        offset_sq = sw_sum * X_mean**2
        whole_sq = moments.M.diagonal()
        sq_norms = whole_sq - rest_sums.sq_norms
        # columns the rest outweighs (much heavier weights, outliers): their sums and norms
        # here, differences of the whole data's and the rest's, cancelled
        outweighed = sq_norms <= CENTERING_CANCELLATION * whole_sq
        dominated = np.flatnonzero(
            (offset_sq > CANCELLING_OFFSET_RATIO * (sq_norms - offset_sq)) | outweighed)
        if dominated.size:
            A = A.source[A.rows]
            A[:, dominated] -= np.outer(sqrt_sw, X_mean[dominated])
            X_mean = X_mean.copy()  # what the explicit centering's rounding left
            X_mean[dominated] = sqrt_sw @ A[:, dominated] / sw_sum
            X_offset = X_offset.copy()
            X_offset[dominated] += X_mean[dominated]
    Y_design, y_offset = design_targets(Y, sample_weight, fit_intercept)
    lipschitz = None  # formed from the design if a descent on it needs them
    if not rest.size:  # ||Z_j - X_mean_j sqrt(s)||^2, as prepare_design's, from M = Z^T Z
        lipschitz = np.maximum(moments.M.diagonal() - sw_sum * X_mean**2, 0.0)
    return Design(A, X_mean, X_offset, Y_design, y_offset, sqrt_sw, sw_sum, None, lipschitz)


def offset_dominated_columns(X, row_weights, min_ratio, X_offset=None):
    """Columns of the sparse ``X`` whose weighted mean outweighs their spread.

    Kept sparse, a column is centered implicitly (its offset folded into every product):
    with an offset far above its spread, those products cancel to rounding noise, and in a
    solver that does not eliminate the intercept, the column stays coupled with it (the
    cosine of their angle is ``mean^2 / (mean^2 + variance)``), which coordinate descent
    crawls along. Only a column stored in a fraction ``min_ratio / (1 + min_ratio)`` of
    the rows can have ``mean^2 > min_ratio variance`` (by Cauchy-Schwarz, for uniform
    weights), so storing it centered, thus dense, adds few entries.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix or csc_matrix
        Canonical sparse design.
    row_weights : ndarray of shape (n_samples,)
        Weights of the rows in the mean squares of the columns (summing to one).
    min_ratio : float
        Columns with ``mean^2 > min_ratio * variance`` are returned.
    X_offset : ndarray of shape (n_features,), default=None
        The weighted column means; None to weight the columns by ``row_weights``.

    Returns
    -------
    columns : ndarray of int
        The columns found, in increasing order.
    offsets : ndarray of shape (len(columns),)
        Their means.
    """
    n_samples = X.shape[0]
    counts = stored_per_column(X)
    candidates = np.flatnonzero((1.0 + min_ratio) * counts >= min_ratio * n_samples)
    if candidates.size == 0:
        return candidates, np.zeros(0)
    X_candidates = X[:, candidates]
    if X_offset is None:
        means = np.asarray(X_candidates.T @ row_weights, dtype=np.float64).ravel()
    else:
        means = X_offset[candidates]
    mean_squares = np.asarray(X_candidates.power(2).T @ row_weights, dtype=np.float64).ravel()
    # mean^2 > ratio (mean_squares - mean^2), without the cancellation of the variance
    dominated = (1.0 + min_ratio) * means**2 > min_ratio * mean_squares
    return candidates[dominated], means[dominated]


def subtract_column_offsets(X, columns, offsets, q):
    """A copy of the sparse ``X``, in its format, with ``X[:, j] - offset_j q`` stored (dense)
    in each of ``columns`` (increasing; ``offsets`` in their order); see
    :func:`replace_columns`.
    """
    block = X[:, columns].toarray()
    block -= np.outer(q, offsets).astype(X.dtype)
    return replace_columns(X, columns, block)


def replace_columns(X, columns, block):
    """A copy of the sparse ``X``, in its format, with the dense ``block`` (of X's dtype,
    one column per entry of ``columns``, increasing) stored in place of ``columns``.

    The other columns are copied as they are, and the sum of two canonical matrices of
    one format merges their rows (or columns) without sorting them again.
    """
    n_samples, n_features = X.shape
    replaced = np.zeros(n_features, dtype=bool)
    replaced[columns] = True
    rest = X.copy()
    if X.format == "csc":
        rest.data[np.repeat(replaced, np.diff(X.indptr))] = 0.0
        indptr = np.zeros(n_features + 1, dtype=np.int64)
        indptr[columns + 1] = n_samples
        centered = sp.csc_matrix(
            (block.ravel(order="F"), np.tile(np.arange(n_samples), columns.size),
             np.cumsum(indptr)), shape=X.shape)
    else:
        rest.data[replaced[X.indices]] = 0.0
        centered = sp.csr_matrix(
            (block.ravel(), np.tile(columns, n_samples),
             np.arange(0, n_samples * columns.size + 1, columns.size)), shape=X.shape)
    return rest + centered  # drops the zeros left in rest


def dense_fortran_copy(X):
    """The CSR or CSC matrix ``X`` as a dense float64 array in Fortran order, densified by
    blocks of about ``DENSIFY_BLOCK_ENTRIES`` entries (rows of a CSR matrix, columns of a
    CSC one, read in place) so that no other dense copy of ``X`` is held on the way."""
    A = np.empty(X.shape, dtype=np.float64, order="F")
    by_columns = X.format == "csc"
    n_major, n_minor = (X.shape[1], X.shape[0]) if by_columns else X.shape
    step = max(1, DENSIFY_BLOCK_ENTRIES // max(n_minor, 1))
    for start in range(0, n_major, step):
        stop = min(start + step, n_major)
        first, last = X.indptr[start], X.indptr[stop]
        parts = (X.data[first:last], X.indices[first:last], X.indptr[start:stop + 1] - first)
        if by_columns:
            block = sp.csc_matrix(parts, shape=(n_minor, stop - start))
            A[:, start:stop] = block.toarray(order="F")
        else:
            block = sp.csr_matrix(parts, shape=(stop - start, n_minor)).toarray()
            # by column panels, as :func:`_copy`
            copy_to_columns(block.astype(np.float64, copy=False), np.zeros(n_minor),
                            np.empty(0), A[start:stop])
    return A


def _copy(X, order):
    """A copy of the dense ``X`` in ``order`` ('C' or 'F')."""
    A = np.empty(X.shape, dtype=X.dtype, order=order)
    if X.flags.c_contiguous and order == "F":
        copy_to_columns(X, np.zeros(X.shape[1]), np.empty(0), A)
    else:
        A[...] = X
    return A


def _weighted_column_sums(X, weights):
    """``X^T weights`` of a dense ``X``, summed in float64, a float32 ``X`` converted by
    blocks of about ``DENSIFY_BLOCK_ENTRIES`` entries (never copied whole). Summed in
    float32, a column of 7e5 everywhere came out 7e5 - 0.0625 (one rounding step) with some
    BLAS kernels: the offsets then left it nonzero once centered, and fits at small alpha
    followed it."""
    if X.dtype == np.float64:
        return X.T @ weights
    sums = np.zeros(X.shape[1])
    step = max(1, DENSIFY_BLOCK_ENTRIES // max(X.shape[1], 1))
    for start in range(0, X.shape[0], step):
        sums += X[start:start + step].astype(np.float64).T @ weights[start:start + step]
    return sums


def _weighted_means(A, sqrt_sw, sw_sum):
    """Column means of the row-weighted design ``A``, weighted back: ``A^T q / S``."""
    return np.asarray(A.T @ sqrt_sw, dtype=np.float64).ravel() / sw_sum
