"""Docstring sections shared by MLPRegressor and MLPClassifier."""

OBJECTIVE = r"""
    Minimizes, over the weights :math:`W_l` and biases :math:`b_l` of every layer
    (sample weights :math:`s_i`, :math:`S = \sum_i s_i`, all ones when none are given):

    .. math::

        P = \frac{1}{S} \sum_i s_i \, \ell(y_i, f(x_i)) + \alpha \sum_l R(W_l),
        \qquad R(W) = \rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_2^2

    with :math:`\rho` = 1 for ``penalty='l1'``, 0 for ``'l2'``, ``l1_ratio`` for
    ``'elasticnet'``; for ``penalty='group'``, :math:`R(W) = \sum_g \sqrt{|g|}\,\|W_g\|_2`
    over the rows of each weight matrix (the outgoing weights of one input or one hidden
    unit, Scardapane et al. 2017; ``l1_ratio`` is not used). Biases are never penalized.
    The data loss is the mean over the whole training set whatever the batch size: a
    mini-batch step uses an unbiased estimate of :math:`P`, the batch's mean of
    :math:`s_i \ell_i` (weights rescaled to mean 1 over the training set) plus the full
    penalty, so ``alpha`` means the same for every solver and batch size, and a batch of
    zero weights takes a step on the penalty alone. ``partial_fit`` sees one chunk at a
    time: its weights are rescaled to mean 1 within each call, so a chunk's weights set
    the balance of its own samples, not its share of all the data.

    Training is proximal, so L1, elastic-net and group penalties give exact zeros: the
    smooth part (data loss and the L2 part of the penalty) takes the optimizer's gradient
    step; then the L1 part is soft-thresholded by ``alpha * l1_ratio`` times each weight's
    own step size: ``lr`` for SGD (with momentum), ``lr / (sqrt(v_hat) + epsilon')`` for
    Adam, the step Adam applies to its bias-corrected gradient estimate ``m_hat`` (the prox
    in Adam's diagonal metric; ``epsilon' = epsilon / sqrt(1 - beta_2**t)`` as
    scikit-learn adds ``epsilon`` to ``sqrt(v)``). Under SGD with momentum the prox's
    displacement is folded into the velocity (divided by ``momentum`` under Nesterov's
    momentum, whose weights are the look-ahead point), so momentum does not push a zeroed
    weight straight back and the fixed points are stationary points of ``P``. The group
    prox is exact in the optimizer's metric: with SGD (one step for all weights) the block
    soft-threshold; with Adam, ``x_j = z_j lam / (lam + s_j)`` for the per-weight steps
    ``s_j`` and a scalar ``lam`` per group found by Newton's method (a few iterations;
    zero when ``||z / s||_2 <= alpha sqrt(|g|)``), so a group stays at zero exactly when
    its gradient estimate is small enough for the group lasso's optimality condition.
    ``solver='lbfgs'`` handles the smooth penalties only ('l2', None, or any penalty
    without an L1 or group part: ``'elasticnet'`` with ``l1_ratio=0``, ``alpha=0``) and
    raises ValueError for the others.

    Conversions:

    - scikit-learn ``MLPRegressor/MLPClassifier(alpha=a, solver='lbfgs')`` is
      ``penalty='l2', alpha=a / S`` (``a / n_samples`` without sample weights, which
      scikit-learn takes from version 1.7); with ``solver='adam'`` or ``'sgd'``
      scikit-learn divides ``a`` by the size of each batch, so its ``alpha=a`` is
      ``alpha=a / batch_size`` here (exactly when ``batch_size`` divides ``n_samples``;
      with sample weights it divides each batch's loss and penalty by the batch's sum of
      weights, which no fixed ``alpha`` matches). For ``MLPRegressor`` with ``k > 1``
      outputs and ``loss='squared_error'``, scikit-learn's gradient sums the squared errors
      over the outputs while its reported loss averages them: its 'adam' steps are those
      of ``alpha=a / (k * batch_size)`` here, its 'sgd' steps those of that ``alpha`` with
      a ``k`` times larger ``learning_rate_init``, and its 'lbfgs', whose line search sees
      the averaged loss, has no exact equivalent. With ``loss='poisson'`` both sum the
      deviance over the outputs: the conversions above hold for any ``k``.
    - Keras ``kernel_regularizer=L2(l2)`` with loss ``'mse'`` (no 1/2 factor):
      ``penalty='l2', alpha=l2`` (Keras' mse, averaged over outputs, is twice our loss
      and its penalty is ``l2 ||W||^2``); ``L1(l1)``: ``penalty='l1', alpha=l1 / 2``;
      ``L1L2(l1, l2)``: ``penalty='elasticnet', alpha=l1 / 2 + l2,
      l1_ratio=(l1 / 2) / alpha``. With a cross-entropy loss (not doubled): ``L2(l2)`` is
      ``alpha=2 * l2``, ``L1(l1)`` is ``alpha=l1``; for ``k`` labels (multilabel), Keras'
      ``binary_crossentropy`` averages over them where our loss sums: ``k`` times these.
    - torch ``weight_decay=wd`` with ``MSELoss``: ``penalty='l2', alpha=wd / 2`` (torch
      also decays biases); with ``CrossEntropyLoss``: ``alpha=wd`` (``k * wd`` for ``k``
      labels with ``BCEWithLogitsLoss``, which averages over them).
"""

_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        Number of units of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.
{loss}    penalty : {'l1', 'l2', 'elasticnet', 'group'} or None, default='l2'
        Penalty on the weights (biases are never penalized). None: no penalty.
    alpha : float, default=1e-4
        Penalty strength, the same dataset-level strength for every solver and batch size.
    l1_ratio : float, default=0.15
        Elastic-net mixing parameter in [0, 1]; used only with ``penalty='elasticnet'``.
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        Proximal Adam, proximal SGD with momentum, or L-BFGS-B on the full objective
        (smooth penalties only).
    batch_size : int or 'auto', default='auto'
        Mini-batch size of 'adam' and 'sgd'; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of 'sgd', as scikit-learn: 'invscaling' is
        ``learning_rate_init / (t + 1) ** power_t`` after each epoch (``t`` samples
        seen); 'adaptive' divides the rate by 5 each time the stopping criterion triggers.
    learning_rate_init : float, default=0.001
        Initial learning rate of 'sgd' and 'adam'.
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Maximum number of epochs ('adam', 'sgd') or iterations ('lbfgs').
    shuffle : bool, default=True
        Shuffle the samples at each epoch ('adam', 'sgd').
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights (Glorot uniform, drawn as scikit-learn draws them),
        of the shuffling and of the validation split.
    tol : float, default=1e-4
        The stochastic solvers stop when the epoch loss (or the validation score with
        ``early_stopping``) has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        'lbfgs' stops when the projected gradient is below ``tol``.
    verbose : bool, default=False
        Print the loss of each epoch (each iteration for 'lbfgs'), and why training stopped.
    warm_start : bool, default=False
        Start from the fitted weights (and keep ``loss_curve_``) on the next ``fit``.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data; stop when its score has not
        improved by ``tol`` for ``n_iter_no_change`` epochs and keep the best weights
        ('adam', 'sgd'; ignored by 'lbfgs', as in scikit-learn).
    validation_fraction : float, default=0.1
        Fraction held out by ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Moment decays of 'adam'.
    epsilon : float, default=1e-8
        Numerical stability term of 'adam'.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping ('adam', 'sgd').
    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the epochs (needs the ``tqdm`` package).
    device : {'cpu', 'cuda'}, default='cpu'
        Where training runs. 'cuda' (dense X only, penalties other than 'group'; needs
        ``pip install sklreg[cuda]`` and a CUDA GPU) runs the forward and backward matrix
        products and the proximal optimizer updates on the GPU; batches are drawn on the
        host as on the CPU, and the weights come back to the host after every epoch.
        Fitted attributes are NumPy arrays either way.
"""


LOSS_PARAMETER = """    loss : {'squared_error', 'poisson'}, default='squared_error'
        Data loss: half the squared error (identity output), or half the Poisson deviance
        with a log link (exponential output; non-negative targets), as scikit-learn.
"""


def parameters(loss=""):
    """The Parameters section, with the entry ``loss`` (a docstring block) after
    ``activation`` (scikit-learn's ``MLPRegressor`` has ``loss``, its ``MLPClassifier`` not)."""
    return _PARAMETERS.replace("{loss}", loss)


ATTRIBUTES = """
    loss_ : float
        Final objective ``P``: with 'lbfgs' its exact value at the fitted weights; with
        'adam' / 'sgd' the last entry of ``loss_curve_``.
    loss_curve_ : list of float
        One entry per epoch ('adam', 'sgd'): the average, over the epoch's mini-batches
        weighted by their sizes, of each step's estimate of ``P`` (batch mean of
        ``s_i l_i`` with weights of mean 1, plus ``alpha * sum_l R(W_l)``) at the weights
        before the step: its data part is the weighted mean of the losses met along the
        epoch. With a single batch it is exactly ``P`` at the weights the epoch started
        from. With 'lbfgs': ``P`` at
        each iterate.
    best_loss_ : float or None
        Smallest entry of ``loss_curve_`` (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation score after each epoch (``early_stopping`` only).
    best_validation_score_ : float or None
        Best validation score (``early_stopping`` only); its weights are kept.
    t_ : int
        Training samples seen by the stochastic solvers.
    coefs_ : list of ndarray
        ``coefs_[l]`` of shape (units of layer l, units of layer l + 1); row ``i`` holds
        the outgoing weights of unit ``i``. Same float dtype as the ``X`` of the first
        fit; ``partial_fit`` and warm-started fits keep it (their ``X`` is cast).
    intercepts_ : list of ndarray
        Biases of layers 1 to n_layers_ - 1.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string column names.
    n_iter_ : int
        Epochs run by the last ``fit`` call (iterations for 'lbfgs').
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        Output activation.
    active_inputs_ : ndarray of bool of shape (n_features_in_,)
        Inputs with a path of nonzero weights to an output (the others are ignored).
    active_hidden_units_ : list of ndarray of bool
        Per hidden layer, the units on a path of nonzero weights from an input to an
        output; ``prune()`` removes the others.
    sparsity_ : ndarray of shape (n_layers_ - 1,)
        Fraction of exactly zero weights in each weight matrix.
"""
