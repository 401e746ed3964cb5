"""The least-squares design: the centered, row-weighted input, dense in every memory
layout and dtype, and sparse."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklreg.linear._design import kernel_arrays, prepare_design
from sklreg.solvers._columns import unsigned_indices


def layouts(X):
    """``X`` C-ordered, Fortran-ordered and as a strided view (neither)."""
    wide = np.zeros((X.shape[0], 2 * X.shape[1]), dtype=X.dtype)
    wide[:, ::2] = X
    return {"C": np.ascontiguousarray(X), "F": np.asfortranarray(X), "strided": wide[:, ::2]}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("fortran", [True, False])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "read-only"])
@pytest.mark.parametrize("copy", [True, False])
@pytest.mark.parametrize("offsets", ["small", "one large"])
def test_design_is_the_centered_weighted_input(dtype, fit_intercept, weighted, fortran, layout,
                                               copy, offsets):
    """The design is the centered, row-weighted input, in place of the input only when
    asked (``copy=False``) and possible; its kernel arrays are laid out by columns.

    Laid out by columns with uniform weights, its column means are left implicit
    (``X_mean``): the input itself is then the design when Fortran-ordered. That holds
    while every mean is within the column's spread (``DENSE_IMPLICIT_OFFSET_RATIO``);
    with one far larger, the design is centered explicitly, as with weights or laid out
    by rows, ``X_mean`` keeping what that rounding left."""
    rng = np.random.default_rng(0)
    # more rows than a copy panel; mean^2 / variance 0.25, or 1e6 for column 5
    spread = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    shift = 0.5 * spread
    if offsets == "one large":
        shift[5] = 6e3
    X = (rng.standard_normal((2500, 7)) * spread + shift).astype(dtype)
    X[:, 3] = 0.0
    Y = rng.standard_normal((2500, 2))
    sw = rng.uniform(0.2, 3.0, 2500) if weighted else None
    X64 = X.astype(np.float64)
    source = layouts(X.copy())[layout] if layout != "read-only" else X.copy()
    source.flags.writeable = layout != "read-only"
    before = source.copy()

    design = prepare_design(source, Y, sw, fit_intercept, fortran, copy)

    implicit = fortran and fit_intercept and not weighted
    in_place = (not copy and (fit_intercept or weighted)
                and (layout == "F" or (layout == "C" and not fortran)))
    as_given = not (fit_intercept or weighted) and (  # no copy needed
        layout == "F" or layout in ("C", "read-only") and not fortran)
    if implicit and offsets == "small":  # only read
        in_place, as_given = False, layout == "F"
    assert np.shares_memory(design.A, source) == (in_place or as_given)
    if not in_place:
        np.testing.assert_array_equal(source, before)
    if implicit:
        centered_explicitly = offsets == "one large"
        assert (np.abs(design.X_mean[5]) < 1e-3 * np.abs(design.X_offset[5])
                ) == centered_explicitly
    arrays = tuple(design.kernel_arrays)
    assert arrays[0].flags.f_contiguous and arrays[4] is False
    np.testing.assert_array_equal(arrays[0], design.A)
    assert tuple(design.kernel_arrays)[0] is arrays[0]  # copied by columns once at most
    assert design.A.dtype == dtype
    if fortran:
        assert design.A.flags.f_contiguous
    q = np.ones(2500) if sw is None else np.sqrt(sw)
    offset = (q**2 @ X64) / np.sum(q**2) if fit_intercept else np.zeros(7)
    # the design minus its implicit offsets is the centered, row-weighted input
    centered = design.A.astype(np.float64) - np.outer(q, design.X_mean)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(centered, (X64 - offset) * q[:, None], rtol=rtol,
                               atol=rtol * 100 * 7)
    np.testing.assert_allclose(design.X_offset, offset, rtol=rtol)
    if fit_intercept:  # the offsets left implicit make every column exactly orthogonal to q
        np.testing.assert_allclose(q @ centered, 0.0, atol=rtol * 2500 * 7)
    assert (design.lipschitz is not None) == (fortran or fit_intercept or weighted)
    if design.lipschitz is not None:
        np.testing.assert_allclose(design.lipschitz, np.sum(centered**2, axis=0),
                                   rtol=10 * rtol, atol=1e-6)
        assert design.lipschitz[3] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("frame", [False, True])
def test_read_only_fortran_input_is_copied_for_the_kernels(frame):
    """A writable Fortran-ordered input with uniform weights is the design itself (its
    means left implicit); a read-only one, as a DataFrame's values under copy-on-write
    or a memory map, is copied: the kernels, compiled for writable arrays, would compile
    again for read-only ones (10 s for a first lasso fit)."""
    X = np.asfortranarray(np.random.default_rng(2).standard_normal((50, 4)))
    Y = np.ones((50, 1))
    assert np.shares_memory(prepare_design(X, Y, None, True).A, X)
    if frame:
        pd = pytest.importorskip("pandas")
        source = np.asarray(pd.DataFrame(X.copy(order="F")))
        source.flags.writeable = False  # (as it is already with copy-on-write)
    else:
        source = X.copy(order="F")
        source.flags.writeable = False
    design = prepare_design(source, Y, None, True)
    assert not np.shares_memory(design.A, source)
    assert design.A.flags.writeable and design.A.flags.f_contiguous
    assert_array_equal(design.A, X)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_sparse_design_is_the_centered_weighted_input(fmt, fit_intercept, weighted):
    """Sparse designs keep their sparsity: the offsets are removed implicitly (``X_mean``),
    but for the columns whose mean outweighs their spread, stored centered."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 9)) * (rng.uniform(size=(300, 9)) < 0.3) + 0.0
    X[:, 4] = 0.0
    X[:, 6] = 1000.0 + rng.standard_normal(300)
    X[:, 7] = 500.0 + rng.standard_normal(300)
    X[:, 8] = 20.0 + rng.standard_normal(300)  # mean^2 / variance = 400: centered implicitly
    Y = rng.standard_normal((300, 1))
    sw = rng.uniform(0.2, 3.0, 300) if weighted else None
    source = sp.csr_matrix(X).asformat(fmt)
    before = source.copy()

    design = prepare_design(source, Y, sw, fit_intercept, True)

    assert (source != before).nnz == 0
    assert design.A.format == "csc"
    q = np.ones(300) if sw is None else np.sqrt(sw)
    offset = (q**2 @ X) / np.sum(q**2) if fit_intercept else np.zeros(9)
    centered = design.A.toarray() - np.outer(q, design.X_mean)
    np.testing.assert_allclose(centered, (X - offset) * q[:, None], atol=1e-12)
    np.testing.assert_allclose(design.X_offset, offset, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(design.lipschitz, np.sum(centered**2, axis=0), rtol=1e-12)
    assert design.lipschitz[4] == 0.0
    stored = np.diff(design.A.indptr)
    if fit_intercept:
        assert np.all(stored[[6, 7]] == 300)
        assert np.all(np.abs(design.X_mean[[6, 7]]) < 1e-12)  # what rounding left
        implicit = [0, 1, 2, 3, 4, 5, 8]
        np.testing.assert_array_equal(design.X_mean[implicit], design.X_offset[implicit])
    assert stored[0] == np.count_nonzero(X[:, 0])


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_indices_reach_kernels_unsigned(index_dtype):
    # Numba checks every signed index for wraparound: unsigned ones halve a gather loop
    X = sp.random(30, 20, density=0.3, format="csr", random_state=0)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    indices, indptr = unsigned_indices(X)
    assert indices.dtype == indptr.dtype == np.uint32
    np.testing.assert_array_equal(indices, X.indices)
    np.testing.assert_array_equal(indptr, X.indptr)
    if index_dtype == np.int32:  # a view, not a copy
        assert np.shares_memory(indices, X.indices) and np.shares_memory(indptr, X.indptr)
    _, _, kernel_indices, kernel_indptr, is_sparse = kernel_arrays(X.tocsc())
    assert is_sparse and kernel_indices.dtype == kernel_indptr.dtype == np.uint32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_and_sparse_kernel_arrays_have_the_same_numba_types(dtype):
    """One compiled kernel serves dense and sparse designs: a first fit on each type of
    design compiled the proximal Newton chain twice (about a minute each, cold), because
    the sparse placeholder of shape (1, 2) is both C and F contiguous, typed C by Numba."""
    numba = pytest.importorskip("numba")
    X = np.asfortranarray(np.random.RandomState(0).rand(30, 20).astype(dtype))
    dense = kernel_arrays(X)
    sparse = kernel_arrays(sp.csc_matrix(X))
    assert [numba.typeof(a) for a in dense] == [numba.typeof(a) for a in sparse]


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("rest", [None, "a fold's test part"])
def test_moments_design_is_prepare_designs(fit_intercept, weighted, rest):
    """The design LinearRegressorCV refits on, from the moments its folds shared, is
    prepare_design's: the same offsets, targets and column norms (the coordinate-wise
    Lipschitz constants, also behind the rounding diagnosis of a ConvergenceWarning); and
    so is a fold's, of all the rows but its test part, once its rows are gathered (the
    implicitly centered design, and its copy by columns for the kernels)."""
    from sklreg.linear._design import moments_design
    from sklreg.linear._least_squares import whole_data_moments

    rng = np.random.default_rng(3)
    X = rng.standard_normal((900, 6)) * np.logspace(-3, 3, 6) + [0, 1e6, 0, 5, 0, 0]
    X_before = X.copy()
    Y = rng.standard_normal((900, 2))
    sw = rng.uniform(0.0, 3.0, 900) if weighted else None
    rows = np.arange(900)
    if rest is not None:
        rest = np.sort(rng.choice(900, 300, replace=False))
        rows = np.setdiff1d(rows, rest)
    expected = prepare_design(X[rows], Y[rows], None if sw is None else sw[rows],
                              fit_intercept)
    moments = whole_data_moments(X, Y, sw, fit_intercept)
    design = moments_design(moments, Y, sw, fit_intercept, rest)
    assert design.shape == expected.shape and design.dtype == np.float64
    assert_allclose(design.X_offset, expected.X_offset, rtol=1e-14, atol=1e-11)
    assert_allclose(design.Y, expected.Y, rtol=1e-12, atol=1e-14)
    assert_allclose(design.y_offset, expected.y_offset, rtol=1e-14)
    assert_allclose(design.sqrt_sw, expected.sqrt_sw, rtol=1e-15)
    assert design.sw_sum == pytest.approx(expected.sw_sum, rel=1e-15)
    if rest is None:
        assert design.lipschitz is not None
        assert_allclose(design.lipschitz, expected.lipschitz, rtol=1e-10)
    centered = design.A - np.outer(design.sqrt_sw, design.X_mean)
    expected_centered = expected.A - np.outer(expected.sqrt_sw, expected.X_mean)
    scale = np.abs(X - X.mean(axis=0)).max(axis=0) * 3.0
    assert_allclose(centered, expected_centered, rtol=0, atol=1e-11 * scale.max())
    assert np.asarray(next(iter(design.kernel_arrays))).flags.f_contiguous
    assert_allclose(next(iter(design.kernel_arrays)), design.A, rtol=0, atol=0)
    assert_array_equal(X, X_before)




@pytest.mark.parametrize("shape", [(40, 300), (300, 40)])
def test_design_gap_of_a_design_by_rows_needs_no_copy_by_columns(shape, monkeypatch):
    """The direct solvers keep a dense design laid out by rows; its gap certificate used
    the compiled column kernels, whose copy of the design by columns took 15 of a 56 ms
    ridge fit on 500 x 5000. By products with the rows, the same gap."""
    import sklreg.linear._design as design_module
    from sklreg.linear._least_squares import design_gap

    rng = np.random.RandomState(0)
    X = rng.randn(*shape) + 3.0
    y = rng.randn(shape[0], 1)
    sample_weight = rng.uniform(0.5, 2.0, shape[0])
    design = prepare_design(X, y, sample_weight, True, fortran=False)
    w = rng.randn(shape[1])
    copies = []
    plain_copy = design_module._copy
    monkeypatch.setattr(design_module, "_copy",
                        lambda A, order: copies.append(order) or plain_copy(A, order))
    primal, gap = design_gap(design, w, 0, 0.3, 0.7, False)
    assert "F" not in copies and not design.by_columns
    by_columns = design.kernel_arrays  # the copy by columns, then its kernels' gap
    assert "F" in copies and design.by_columns and by_columns is not None
    primal_columns, gap_columns = design_gap(design, w, 0, 0.3, 0.7, False)
    assert_allclose([primal, gap], [primal_columns, gap_columns], rtol=1e-10)


@pytest.mark.parametrize("shape", [(40, 3000), (3000, 40)])
def test_design_gap_of_a_float32_design_by_rows_holds_no_float64_copy(shape):
    """A product of a float32 array with float64 weights casts the whole array to float64
    first: by products, the gap of a float32 design by rows held a copy twice its size
    (twice per gap) and took 2.5 - 3 times as long as the kernels on a float32 copy by
    columns (500 x 5000: 34 ms against 13). Its gap stays with the kernels."""
    import tracemalloc

    from sklreg.linear._least_squares import design_gap

    rng = np.random.RandomState(0)
    X = (rng.randn(*shape) + 3.0).astype(np.float32)
    y = rng.randn(shape[0], 1)
    w = rng.randn(shape[1])
    design = prepare_design(X, y, None, True, fortran=False)
    design_gap(design, w, 0, 0.3, 0.7, False)  # compiled (or loaded) outside the trace
    tracemalloc.start()
    try:
        primal, gap = design_gap(design, w, 0, 0.3, 0.7, False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.8 * X.nbytes  # one float32 copy by columns (and small arrays)
    float64_design = prepare_design(X.astype(np.float64), y, None, True, fortran=False)
    float64_design.X_mean[:] = design.X_mean  # the same centered design
    assert_allclose([primal, gap], design_gap(float64_design, w, 0, 0.3, 0.7, False),
                    rtol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("block_entries", [2**20, 64])
def test_float32_column_offsets_are_summed_in_float64(monkeypatch, weighted, block_entries):
    """A dense float32 design's offsets are its weighted column means summed in float64
    (by blocks of rows): summed in float32, a column of 7e5 everywhere came out off itself
    (by 0.25 with weights, 12 on 10007 rows), was left nonzero once centered, and a ridge
    fit at a small alpha gave it a coefficient of -1.6."""
    import sklreg.linear._design as design_module
    from sklreg import LinearRegressor

    monkeypatch.setattr(design_module, "DENSIFY_BLOCK_ENTRIES", block_entries)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10007, 5)).astype(np.float32)
    X[:, 2] = 7e5
    y = X[:, 0] + rng.standard_normal(X.shape[0])
    sw = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else np.ones(X.shape[0])
    sums = design_module._weighted_column_sums(X, sw)
    assert_allclose(sums, sw @ X.astype(np.float64), rtol=1e-13, atol=1e-13 * sw.sum())
    design = prepare_design(X, y[:, None], sw if weighted else None, True)
    assert design.X_offset[2] == 7e5 and design.X_mean[2] == 0.0
    assert_array_equal(design.A[:, 2], 0.0)
    model = LinearRegressor("l2", alpha=1e-10, tol=1e-8).fit(
        X, y, sample_weight=sw if weighted else None)
    assert model.coef_[2] == 0.0


def test_descent_compiles_its_epoch_for_run_time_flags_only():
    """Coordinate descent calls its epoch with flags typed as run-time booleans: one
    passed as the literal ``False`` (the descent over the weights an extrapolation moved
    off zero) compiled a second copy of the epoch, 1.1 s more of every first fit with an
    empty Numba cache. Checked where the descent compiled in this process (loaded from the
    cache, it never compiles its epoch)."""
    numba = pytest.importorskip("numba")
    from sklreg import LinearRegressor
    from sklreg.solvers._cd import _cd_epoch

    X = np.random.RandomState(0).rand(30, 8)
    LinearRegressor("elasticnet", alpha=0.01, solver="cd").fit(X, X[:, 0] + X[:, 1])
    if not _cd_epoch.signatures:
        pytest.skip("coordinate descent was loaded from Numba's cache")
    literal = [signature for signature in _cd_epoch.signatures
               if any(isinstance(a, numba.types.Literal) for a in signature)]
    assert not literal


def shadow_problem(n_samples=600, n_features=500, seed=0):
    """A dense float64 design large enough for a float32 shadow, its columns offset by
    up to 100 times their spread (mean^2 / variance 1e4: centered explicitly when laid
    out, below ``SHADOW_MAX_OFFSET_RATIO``), and two targets."""
    rng = np.random.default_rng(seed)
    spread = rng.uniform(0.5, 2.0, n_features)
    shift = rng.uniform(-1.0, 1.0, n_features) * spread
    shift[7] = 100.0 * spread[7]
    X = rng.standard_normal((n_samples, n_features)) * spread + shift
    X[:, 3] = 0.0
    return X, rng.standard_normal((n_samples, 2))


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_shadow_is_the_centered_input_rounded_and_the_design_waits(
        layout, fit_intercept, weighted):
    """A dense float64 design given a shadow keeps the input as it is: the shadow is the
    input minus its (weighted) column means, its rows scaled by the square roots of the
    weights, rounded to float32, by columns; the gap is certified by products with the
    input, no copy; and the design laid out on its first use is the one made without a
    shadow."""
    from sklreg.linear._least_squares import design_gap

    X, Y = shadow_problem()
    sw = np.random.default_rng(3).uniform(0.2, 3.0, len(X)) if weighted else None
    q = np.ones(len(X)) if sw is None else np.sqrt(sw)
    source = layouts(X)[layout]
    before = source.copy()
    design = prepare_design(source, Y, sw, fit_intercept, True, float32_shadow=True)
    shadow = design.float32_shadow
    assert shadow is not None and shadow.source is source and shadow.centered == fit_intercept
    means = q**2 @ X / np.sum(q**2) if fit_intercept else np.zeros(X.shape[1])
    assert_allclose(design.X_offset, means, rtol=1e-12, atol=1e-14)
    copy32 = shadow.kernel_arrays[0]
    assert copy32.dtype == np.float32 and copy32.flags.f_contiguous
    assert_array_equal(copy32, ((X - design.X_offset) * q[:, None]).astype(np.float32))
    assert_allclose(shadow.lipschitz, np.sum(((X - means) * q[:, None]) ** 2, axis=0),
                    rtol=1e-9, atol=1e-9)

    w = np.random.default_rng(1).standard_normal(X.shape[1])
    primal, gap = design_gap(design, w, 1, 0.3, 0.7, False)
    assert not design.by_columns  # certified without laying the design out

    plain = prepare_design(source, Y, sw, fit_intercept, True)
    assert_array_equal(design.A, plain.A)  # laid out on first use
    assert design.by_columns and design.kernel_arrays[0] is design.A
    assert_array_equal(design.X_mean, plain.X_mean)
    assert_allclose(design.lipschitz, plain.lipschitz, rtol=1e-12)
    assert_allclose(design.X_offset, plain.X_offset, rtol=1e-13, atol=1e-15)
    assert_allclose([primal, gap], design_gap(plain, w, 1, 0.3, 0.7, False), rtol=1e-10)
    assert_array_equal(source, before)


@pytest.mark.parametrize("case", ["float32", "small", "short columns", "strided", "rows",
                                  "large offset", "huge column", "tiny column"])
def test_float32_shadow_only_where_it_pays_and_its_certificate_holds(case):
    """No shadow for float32, small or strided designs, with columns shorter
    than ``FLOAT32_SHADOW_MIN_SAMPLES``, laid out by rows, nor where a column's mean^2
    exceeds ``SHADOW_MAX_OFFSET_RATIO`` times its variance (the certificate by products
    with the uncentered input would lose digits) or a column's norm is outside float32's
    range."""
    X, Y = shadow_problem()
    fortran = True
    if case == "float32":
        X = X.astype(np.float32)
    elif case == "small":
        X, Y = X[:200], Y[:200]
    elif case == "short columns":
        X, Y = np.tile(X[:100], 6), Y[:100]  # 300k entries
    elif case == "strided":
        X = layouts(X)["strided"]
    elif case == "rows":
        fortran = False
    elif case == "large offset":
        X[:, 9] = 1e4 * X[:, 9].std() + X[:, 9]
    elif case == "huge column":
        X[:, 9] *= 1e36
    else:
        X[:, 9] *= 1e-36
    design = prepare_design(X, Y, None, True, fortran, float32_shadow=True)
    assert design.float32_shadow is None
    assert prepare_design(*shadow_problem(), None, True, True,
                          float32_shadow=True).float32_shadow is not None
