"""Shared machinery of MLPRegressor and MLPClassifier: validation, training loops, pruning."""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state, gen_batches, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._base import CachedParamsMixin
from .._penalties import penalty_strengths
from .._progress import tqdm_bar
from .._validation import check_value_range, native_byte_order
from ..cuda import check_device
from ..linear._regressor import check_sample_weight
from ._network import data_loss, forward, loss_gradient, make_layout, pack, unpack
from ._optimizers import (
    adam_step,
    enet_penalty_value,
    group_penalty_value,
    prox_group,
    prox_l1,
    sgd_step,
)
from ._prune import active_units, prune_network

STOCHASTIC_SOLVERS = ("sgd", "adam")


def is_stochastic(estimator):
    """``available_if`` condition of ``partial_fit``: the solver is 'sgd' or 'adam'."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {estimator.solver} "
            "is not stochastic."
        )
    return True


class BaseMLP(CachedParamsMixin, BaseEstimator):
    """Base class of the penalized multi-layer perceptrons (not for direct use)."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "group"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "progress_bar": ["boolean"],
        "device": [StrOptions({"cpu", "cuda"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        solver="adam",
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        progress_bar=False,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.progress_bar = progress_bar
        self.device = device

    # ----------------------------------------------------------------- objective
    def _strengths(self):
        """``(l1_strength, l2_strength, group_strength)`` of the penalty."""
        if self.penalty == "group":
            return 0.0, 0.0, float(self.alpha)
        l1_strength, l2_strength = penalty_strengths(self.penalty, self.alpha, self.l1_ratio)
        return l1_strength, l2_strength, 0.0

    def _penalty_value(self, flat, layout):
        l1_strength, l2_strength, group_strength = self._strengths()
        if group_strength > 0.0:
            return group_penalty_value(flat, layout.group_ptr, group_strength)
        return enet_penalty_value(flat, layout.n_penalized, l1_strength, l2_strength)

    def objective(self, X, y, sample_weight=None):
        """The training objective of ``CONVENTIONS.md`` at the fitted parameters.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like
            Targets (labels for the classifier).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        objective : float
            Sample-weighted mean data loss plus ``alpha * sum_l R(W_l)``.
        """
        check_is_fitted(self)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=not is_classifier(self), reset=False)
        if is_classifier(self) and y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y)  # labels, as fit takes them (not a one-label indicator)
        if is_classifier(self) and y.ndim == 1 and not np.isin(y, self.classes_).all():
            raise ValueError(f"y has labels not in classes_ {self.classes_}.")
        with np.errstate(over="ignore"):  # too large for X's dtype: inf, refused below
            Y = self._encode_targets(y).astype(X.dtype)
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, the network {self.n_outputs_}.")
        # the ranges fit accepts (y of 1e39 is inf in a float32 network's dtype)
        check_value_range(X, "X", X.shape[0], check_small=False)
        check_value_range(Y, "y", X.shape[0], check_small=False,
                          advice=self._target_scaling_advice())
        sample_weight = check_sample_weight(sample_weight, X)
        output = self._forward(X)
        layout = make_layout(self._layer_units())
        flat = pack(self.coefs_, self.intercepts_, self.coefs_[0].dtype)
        return data_loss(Y, output, sample_weight, self._loss_name()) + self._penalty_value(
            flat, layout)

    # ----------------------------------------------------------------- fitting
    def _target_scaling_advice(self):
        """The end of the error on targets too large (None: scikit-learn's scalers)."""
        return None

    def _layer_units(self):
        return [self.coefs_[0].shape[0]] + [W.shape[1] for W in self.coefs_]

    def _check_solver_penalty(self):
        """'lbfgs' takes smooth settings, whatever the penalty's name (``'elasticnet'`` with
        ``l1_ratio=0`` is the L2 penalty, ``alpha=0`` no penalty)."""
        l1_strength, _, group_strength = self._strengths()
        if self.solver == "lbfgs" and (l1_strength > 0.0 or group_strength > 0.0):
            setting = f"penalty={self.penalty!r} with alpha={self.alpha}"
            if self.penalty == "elasticnet":
                setting += f" and l1_ratio={self.l1_ratio}"
            raise ValueError(
                "solver='lbfgs' supports the smooth penalties only ('l2', None, "
                f"'elasticnet' with l1_ratio=0, or alpha=0), got {setting}: its non-smooth "
                "part needs the proximal steps of solver='adam' or 'sgd'."
            )

    def _initialize(self, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
            # Glorot uniform, drawn in scikit-learn's order (same random_state, same weights)
            bound = np.sqrt(factor / (fan_in + fan_out))
            self.coefs_.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out))
                               .astype(dtype, copy=False))
            self.intercepts_.append(self._random_state.uniform(-bound, bound, fan_out)
                                    .astype(dtype, copy=False))
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping and self.solver in STOCHASTIC_SOLVERS:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
        self._optimizer_state = None
        self._best_coefs = [W.copy() for W in self.coefs_]
        self._best_intercepts = [b.copy() for b in self.intercepts_]

    def _fit(self, X, y, sample_weight=None, incremental=False, snapshot=None):
        """Fit (one epoch when ``incremental``). A failure before training starts (bad
        input, too small a validation split, a GPU without room for the training data)
        restores the attributes of ``snapshot`` (default: those of the estimator now), so a
        failed fit changes nothing."""
        if snapshot is None:
            snapshot = dict(self.__dict__)
        n_epochs = 1 if incremental else self.max_iter
        with tqdm_bar(self.progress_bar, n_epochs, type(self).__name__, "epoch") as bar:
            try:
                prepared = self._prepare_fit(X, y, sample_weight, incremental)
            except BaseException:
                self.__dict__.clear()
                self.__dict__.update(snapshot)
                raise
            return self._fit_prepared(*prepared, incremental, bar)

    def _prepare_fit(self, X, y, sample_weight, incremental):
        """Validated data, initialized (or checked) network and the early-stopping split."""
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        hidden = self.hidden_layer_sizes
        # an int, a sequence, or an array (np.array(3) too), items kept as given
        hidden = np.atleast_1d(np.asarray(hidden, dtype=object)).tolist()
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h > 0
                   for h in hidden):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden}.")
        hidden = [int(h) for h in hidden]
        self._check_solver_penalty()
        if self.device == "cuda" and self.penalty == "group":
            raise ValueError("device='cuda' supports penalty='l1', 'l2', 'elasticnet' or "
                             "None; use device='cpu' for penalty='group'.")
        check_device(self.device, X)  # before validation: a failed fit changes nothing
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        X = native_byte_order(X)
        if not first_pass:  # the network keeps the dtype of its first fit, as scikit-learn's
            X = X.astype(self.coefs_[0].dtype, copy=False)
        with np.errstate(over="ignore"):  # too large for X's dtype: inf, refused below
            Y = Y.astype(X.dtype, copy=False)
        # squared losses and activations overflow long before float max; tiny values are fine
        check_value_range(X, "X", X.shape[0], check_small=False)
        check_value_range(Y, "y", X.shape[0], check_small=False,
                          advice=self._target_scaling_advice())
        sample_weight = check_sample_weight(sample_weight, X)
        use_cuda = check_device(self.device, X)  # again: a sparse DataFrame is sparse now
        layer_units = [X.shape[1]] + hidden + [Y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, X.dtype)
        elif self._layer_units() != layer_units:
            raise ValueError(
                f"warm_start / partial_fit need the fitted layer sizes {self._layer_units()}; "
                f"got {layer_units}."
            )
        elif self.out_activation_ != self._output_activation():
            raise ValueError(
                f"warm_start / partial_fit continue the fitted network, whose output "
                f"activation is {self.out_activation_!r}; the loss now set needs "
                f"{self._output_activation()!r}. Fit with warm_start=False to change the loss."
            )
        layout = make_layout(layer_units)
        flat = pack(self.coefs_, self.intercepts_, X.dtype)
        self.coefs_, self.intercepts_ = unpack(flat, layout)
        validation = None
        if self.early_stopping and self.solver in STOCHASTIC_SOLVERS:
            X, Y, sample_weight, validation = self._early_stopping_split(X, Y, sample_weight)
        # the training data go to the device here, before training: a device that cannot
        # take them (out of memory) fails the fit with the estimator unchanged
        network = self._device_network(X, Y, sample_weight, flat, layout) if use_cuda else None
        return X, Y, sample_weight, validation, flat, layout, network

    def _early_stopping_split(self, X, Y, sample_weight):
        """``(X_train, Y_train, sw_train, (X_val, Y_val, sw_val))`` (after the weights are
        drawn from ``_random_state``, as scikit-learn)."""
        stratify = self._stratify_labels(Y)
        arrays = [X, Y] + ([] if sample_weight is None else [sample_weight])
        try:
            split = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
        except ValueError as error:  # its message speaks of test_size
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction={self.validation_fraction}"
                f" of {X.shape[0]} samples: {error}"
            ) from error
        X_train, X_val, Y_train, Y_val = split[:4]
        sw_train, sw_val = (None, None) if sample_weight is None else split[4:]
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        for name, weights in [("training", sw_train), ("validation", sw_val)]:
            if weights is not None and not weights.sum() > 0.0:
                raise ValueError(f"The sample weights of the early_stopping {name} split "
                                 "sum to zero.")
        if sw_val is not None and not sw_val.all():
            # rows of zero weight do not count in the score; their outputs may not even be
            # finite (an excluded outlier under the exp output of 'poisson')
            kept = sw_val != 0
            X_val, Y_val, sw_val = X_val[kept], Y_val[kept], sw_val[kept]
            if X_val.shape[0] < 2:  # the R^2 of one sample is NaN: a false divergence
                raise ValueError(
                    f"The validation set is too small: {X_val.shape[0]} of its rows have a "
                    "positive weight (rows of sample weight zero are not scored). Increase "
                    "'validation_fraction' or the size of your dataset.")
        return X_train, Y_train, sw_train, (X_val, Y_val, sw_val)

    def _fit_prepared(self, X, Y, sample_weight, validation, flat, layout, network,
                      incremental, bar):
        """Train the prepared network (``X``: the training split with early stopping;
        ``network``: its copy on the GPU, or None)."""
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, Y, sample_weight, flat, layout, bar, network)
        else:
            self._fit_stochastic(X, Y, sample_weight, validation, flat, layout, incremental,
                                 bar, network)
        self.coefs_ = [W.copy() for W in self.coefs_]
        self.intercepts_ = [b.copy() for b in self.intercepts_]
        if not all(np.isfinite(p).all() for p in self.coefs_ + self.intercepts_):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed."
            )
        # a divergence cut short by max_iter leaves huge finite weights: the outputs
        # overflow, or the objective is infinite (with early stopping the best weights are
        # kept, whatever the last epochs' losses)
        kept_best = self.solver in STOCHASTIC_SOLVERS and self.early_stopping
        if kept_best and self.best_validation_score_ == -np.inf:
            # every score NaN (non-finite outputs): the "best" weights are the initial ones
            raise ValueError(
                "Solver diverged: no epoch gave a finite validation score (the network's "
                "outputs on the validation split were not finite after every epoch). The "
                "input data may need scaling, or learning_rate_init or alpha lowering."
            )
        if sample_weight is not None and not sample_weight.all():
            X = X[sample_weight != 0]  # excluded rows: their outputs are not the fit's
        if not (kept_best or np.isfinite(self.loss_)) or not self._outputs_finite(X):
            raise ValueError(
                f"Solver diverged: the training objective ({self.loss_:.3g}) or the "
                "network's outputs on the training data are not finite. The input data may "
                "need scaling, or learning_rate_init ('sgd', 'adam') or alpha lowering."
            )
        return self

    def _outputs_finite(self, X):
        """Whether the logits on validated ``X`` are finite, and the outputs too where the
        output activation can overflow (the exp of ``loss='poisson'``).

        A cheap bound first (``|a_{l+1}| <= |a_l| * max column abs-sum of W_l + |b_l|``, 1
        after a bounded activation); the forward pass only when it cannot rule out overflow.
        """
        bound = float(max(abs(X.max()), abs(X.min())))
        limit = float(np.finfo(X.dtype).max)
        last = len(self.coefs_) - 1
        for layer, (W, b) in enumerate(zip(self.coefs_, self.intercepts_, strict=True)):
            column_sums = np.abs(W).sum(axis=0, dtype=np.float64)
            bound = bound * float(column_sums.max()) + float(np.abs(b).max())
            if layer == last and self.out_activation_ == "exp":
                limit = np.log(limit)  # exp(z) overflows above log(max)
            if not bound < limit:
                out_activation = "exp" if self.out_activation_ == "exp" else "identity"
                return bool(np.isfinite(self._forward(X, out_activation=out_activation)).all())
            if layer < len(self.coefs_) - 1 and self.activation in ("tanh", "logistic"):
                bound = 1.0
        return True

    def _device_network(self, X, Y, sample_weight, flat, layout):
        """The network and its training data on the GPU (``sklreg.cuda``), the sample
        weights normalized to mean 1 as both solvers normalize them."""
        from ..cuda._mlp import DeviceNetwork

        if sample_weight is not None:
            sample_weight = sample_weight / sample_weight.mean()
        return DeviceNetwork(X, Y, sample_weight, flat, layout, self.activation,
                             self.out_activation_, self._loss_name())

    def _fit_lbfgs(self, X, Y, sample_weight, flat, layout, bar, network=None):
        if sample_weight is not None:
            sample_weight = sample_weight / sample_weight.mean()  # loss_gradient's contract
        grad = np.empty_like(flat)
        coef_grads, intercept_grads = unpack(grad, layout)
        _, l2_strength, _ = self._strengths()
        n_penalized = layout.n_penalized
        all_rows = np.arange(X.shape[0])

        def objective_and_gradient(x):
            flat[:] = x
            # a trial point may overflow (the exp output of 'poisson'): its inf objective
            # and NaN gradient (inf - inf) are L-BFGS-B's to handle, without warnings
            with np.errstate(over="ignore", invalid="ignore"):
                if network is not None:
                    network.flat.copy_to_device(flat)
                    value, _ = network.loss_gradient(all_rows)
                    grad[:] = network.gradient_to_host()
                else:
                    value = loss_gradient(X, Y, sample_weight, self.coefs_, self.intercepts_,
                                          coef_grads, intercept_grads, self.activation,
                                          self.out_activation_, self._loss_name())
                value += enet_penalty_value(flat, n_penalized, 0.0, l2_strength)
                grad[:n_penalized] += l2_strength * flat[:n_penalized]
            return value, grad.astype(np.float64)

        def record(intermediate_result):
            self.loss_curve_.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(self.loss_curve_)}, loss = {intermediate_result.fun:.8f}")
            bar.set_postfix_str(f"loss={intermediate_result.fun:.4g}", refresh=False)
            bar.update()

        result = scipy.optimize.minimize(
            objective_and_gradient, flat.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        if self.verbose:
            print(f"L-BFGS stopped after {result.nit} iterations: {result.message}")
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        flat[:] = result.x
        self.loss_ = float(result.fun)
        self.best_loss_ = min(self.loss_curve_ + [self.loss_])
        # L-BFGS-B's relative-decrease stop can end a run whose line searches stepped back
        # from overflows (unscaled inputs) far above a point any fit should beat: all
        # weights zero and the output biases fitted, whose outputs are the weighted means
        # of the targets (the losses' canonical links), penalty zero. Its data loss is
        # compared, not the objective: a converged fit keeps the penalty of the weights
        # the data no longer moves (~1e-3, against a constant's ~0 for all-zero counts
        # or constant labels, a limit that no exp or logistic output reaches: the
        # stationarity of each output's bias leaves up to tol of loss per output)
        mean = np.average(Y, axis=0, weights=sample_weight)
        constant_loss = data_loss(Y, np.broadcast_to(mean, Y.shape), sample_weight,
                                  self._loss_name())
        fit_loss = self.loss_ - enet_penalty_value(result.x, n_penalized, 0.0, l2_strength)
        if fit_loss > 2.0 * constant_loss and fit_loss - constant_loss > self.tol * Y.shape[1]:
            warnings.warn(
                f"L-BFGS stopped ({result.message}) at a data loss of {fit_loss:.4g}, more "
                f"than twice the {constant_loss:.4g} of the constant prediction (all weights "
                "zero): the fit failed. The inputs X may need scaling (e.g. StandardScaler).",
                ConvergenceWarning, stacklevel=3)

    def _new_optimizer_state(self, flat):
        if self.solver == "sgd":
            return {"learning_rate": float(self.learning_rate_init),
                    "velocity": np.zeros_like(flat)}
        return {"learning_rate": float(self.learning_rate_init), "t": 0,
                "first_moment": np.zeros_like(flat), "second_moment": np.zeros_like(flat)}

    def _step(self, flat, grad, steps, layout, network=None):
        """One proximal optimizer step: smooth step, then the prox of the non-smooth part.

        With a ``network`` on the GPU both run there, fused, on its parameters.
        """
        l1_strength, l2_strength, group_strength = self._strengths()
        state = self._optimizer_state
        if self.solver == "sgd":
            # Nesterov keeps the look-ahead point in ``flat``: see _optimizers' docstring
            nesterov = self.nesterovs_momentum and self.momentum > 0.0
            velocity_scale = 1.0 / self.momentum if nesterov else 1.0
            step_scale = 1.0
            if network is not None:
                network.sgd_step(state["learning_rate"], self.momentum,
                                 self.nesterovs_momentum, l2_strength, l1_strength,
                                 velocity_scale)
                return
            velocity = state["velocity"]
            sgd_step(flat, grad, velocity, steps, state["learning_rate"], self.momentum,
                     self.nesterovs_momentum, layout.n_penalized, l2_strength)
        else:
            velocity, velocity_scale = flat[:0], 1.0  # Adam: no velocity to correct
            state["t"] += 1
            t = state["t"]
            learning_rate_t = (state["learning_rate"] * np.sqrt(1 - self.beta_2**t)
                               / (1 - self.beta_1**t))
            # ``steps`` multiplies the biased first moment m; the metric step, which multiplies
            # the gradient estimate m_hat = m / (1 - beta_1**t), is (1 - beta_1**t) * steps
            step_scale = 1.0 - self.beta_1**t
            if network is not None:
                network.adam_step(learning_rate_t, self.beta_1, self.beta_2, self.epsilon,
                                  l2_strength, step_scale * l1_strength)
                return
            adam_step(flat, grad, state["first_moment"], state["second_moment"], steps,
                      learning_rate_t, self.beta_1, self.beta_2, self.epsilon,
                      layout.n_penalized, l2_strength)
        if l1_strength > 0.0:
            prox_l1(flat, steps, step_scale * l1_strength, velocity, velocity_scale)
        elif group_strength > 0.0:
            prox_group(flat, steps, layout.group_ptr, step_scale * group_strength, velocity,
                       velocity_scale)

    def _fit_stochastic(self, X_train, Y_train, sw_train, validation, flat, layout,
                        incremental, bar, network=None):
        state = getattr(self, "_optimizer_state", None)
        # a new state also when ``solver`` was changed between partial_fit calls: Adam's
        # moments and SGD's velocity are not interchangeable
        if (not incremental or state is None or state.get("size") != flat.size
                or state.get("solver") != self.solver):
            self._optimizer_state = self._new_optimizer_state(flat)
            self._optimizer_state["size"] = flat.size
            self._optimizer_state["solver"] = self.solver
        grad = np.empty_like(flat)
        coef_grads, intercept_grads = unpack(grad, layout)
        steps = np.empty(layout.n_penalized, dtype=flat.dtype)

        early_stopping = validation is not None
        X_val, Y_val, sw_val = validation if early_stopping else (None, None, None)
        n_samples = X_train.shape[0]
        if sw_train is not None:
            # mean 1: a batch's mean of s_i l_i estimates the training set's weighted mean
            # without bias, so every batch (zero-weight ones included) takes its step
            sw_train = sw_train / sw_train.mean()
        sample_idx = np.arange(n_samples)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                              "It is going to be clipped", stacklevel=3)
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        if early_stopping and self.validation_scores_ is None:
            # warm start of a fit without early stopping: start its records
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        elif not early_stopping and self.best_loss_ is None:
            self.best_loss_ = np.inf  # earlier entries are losses on the training split only
            self.validation_scores_ = self.best_validation_score_ = None
        if early_stopping and (self.best_validation_score_ == -np.inf
                               or not hasattr(self, "_best_coefs")):
            self._best_coefs = [W.copy() for W in self.coefs_]
            self._best_intercepts = [b.copy() for b in self.intercepts_]
        if network is not None:
            network.load_state(self._optimizer_state)
            l1_strength, l2_strength, _ = self._strengths()
        self.n_iter_ = 0  # as scikit-learn: epochs of this call
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                accumulated = 0.0
                for batch in gen_batches(n_samples, batch_size):
                    if network is not None:  # the rows are gathered on the device
                        loss, penalty = network.loss_gradient(sample_idx[batch], l1_strength,
                                                              l2_strength)
                        accumulated += (batch.stop - batch.start) * (loss + penalty)
                        self._step(flat, grad, steps, layout, network)
                        continue
                    if self.shuffle:
                        idx = sample_idx[batch]
                        X_batch = _safe_indexing(X_train, idx)
                    else:
                        idx = batch
                        X_batch = X_train[batch]
                    sw_batch = None if sw_train is None else sw_train[idx]
                    loss = loss_gradient(X_batch, Y_train[idx], sw_batch, self.coefs_,
                                         self.intercepts_, coef_grads, intercept_grads,
                                         self.activation, self.out_activation_,
                                         self._loss_name())
                    # the objective of this batch, at the weights before the step
                    accumulated += ((batch.stop - batch.start)
                                    * (loss + self._penalty_value(flat, layout)))
                    self._step(flat, grad, steps, layout)
                if network is not None:
                    network.to_host(flat)
                    network.save_state(self._optimizer_state)
                self.n_iter_ += 1
                self.loss_ = accumulated / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                bar.set_postfix_str(f"loss={self.loss_:.4g}", refresh=False)
                bar.update()
                self._update_no_improvement_count(early_stopping, X_val, Y_val, sw_val)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    self._optimizer_state["learning_rate"] = (
                        float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t)
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = (f"{what} did not improve more than tol={self.tol:f} for "
                           f"{self.n_iter_no_change} consecutive epochs.")
                    if self._trigger_stopping(msg):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                        "and the optimization hasn't converged yet.", ConvergenceWarning,
                        stacklevel=3)
        except KeyboardInterrupt:  # as scikit-learn: a fitted model of the epochs run
            warnings.warn("Training interrupted by user.", stacklevel=3)
            if network is not None:
                network.to_host(flat)
                network.save_state(self._optimizer_state)
        if early_stopping:
            for W, best in zip(self.coefs_, self._best_coefs, strict=True):
                W[...] = best
            for b, best in zip(self.intercepts_, self._best_intercepts, strict=True):
                b[...] = best

    def _trigger_stopping(self, msg):
        state = self._optimizer_state
        if self.solver == "adam" or self.learning_rate != "adaptive":
            if self.verbose:
                print(msg + " Stopping.")
            return True
        if state["learning_rate"] <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        state["learning_rate"] /= 5.0
        if self.verbose:
            print(msg + f" Setting learning rate to {state['learning_rate']:f}")
        return False

    def _update_no_improvement_count(self, early_stopping, X_val, Y_val, sw_val):
        if early_stopping:
            output = self._forward(X_val)
            score = (self._validation_score(Y_val, output, sw_val)
                     if np.isfinite(output).all() else np.nan)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            # a NaN score (diverged network) is no improvement; ``<`` would reset the count
            if not score >= self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = [W.copy() for W in self.coefs_]
                self._best_intercepts = [b.copy() for b in self.intercepts_]
        else:
            if not self.loss_curve_[-1] <= self.best_loss_ - self.tol:  # NaN included
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    # ----------------------------------------------------------------- prediction
    def _forward(self, X, out_activation=None):
        """Output-layer activations for validated ``X`` (``out_activation`` replaces
        ``out_activation_``: 'identity' gives the logits)."""
        return forward(X, self.coefs_, self.intercepts_, self.activation,
                       out_activation or self.out_activation_)[-1]

    def _predict_output(self, X, out_activation=None):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return self._forward(X, out_activation)

    # ----------------------------------------------------------------- sparsity
    @property
    def active_inputs_(self):
        """Bool mask of the inputs with a path of nonzero weights to an output."""
        check_is_fitted(self)
        return active_units(self.coefs_)[0]

    @property
    def active_hidden_units_(self):
        """Per hidden layer, bool mask of the units on a nonzero path from input to output."""
        check_is_fitted(self)
        return active_units(self.coefs_)[1:]

    @property
    def sparsity_(self):
        """Fraction of exactly zero weights in each layer (ndarray of shape (n_layers_ - 1,))."""
        check_is_fitted(self)
        return np.array([float(np.mean(W == 0)) for W in self.coefs_])

    def prune(self):
        """A new fitted estimator without the hidden units that cannot affect the output.

        Units that no longer depend on the input (zero incoming weights from
        input-dependent units) output a constant, folded into the next layer's biases;
        units that cannot reach the output are dropped. The network computes the same
        function; predictions agree to floating-point rounding (the matrix products run
        on smaller matrices and constants are folded into biases; tested at
        ``rtol=1e-12``). ``hidden_layer_sizes`` of the copy is set to the new sizes (a
        layer left without active unit keeps one inert unit); its optimizer state is
        reset, so ``partial_fit`` restarts the moment estimates.

        Returns
        -------
        pruned : estimator
            A fitted copy of the same class.
        """
        check_is_fitted(self)
        pruned = copy.deepcopy(self)
        pruned.coefs_, pruned.intercepts_ = prune_network(self.coefs_, self.intercepts_,
                                                         self.activation)
        pruned.hidden_layer_sizes = tuple(W.shape[1] for W in pruned.coefs_[:-1])
        pruned._optimizer_state = None
        for name in ("_best_coefs", "_best_intercepts"):
            if hasattr(pruned, name):
                delattr(pruned, name)
        return pruned

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.device != "cuda"  # the device kernels take dense X
        return tags
