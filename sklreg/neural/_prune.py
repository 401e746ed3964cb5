"""Which inputs and hidden units of a sparse network matter, and the pruned network.

A unit is *active* when it lies on a path of nonzero weights from an input to an output.
An inactive hidden unit either cannot reach the output (all paths to it end in zero
weights: removing it changes nothing) or does not depend on the input (its incoming
weights from input-dependent units are all zero: it outputs a constant, which is folded
into the biases of the next layer). Inputs are never removed (the input dimension is
fixed) but reported.
"""

import numpy as np

from ._network import inplace_activation


def reachability(coefs):
    """Forward and backward reachability masks of every layer's units.

    Parameters
    ----------
    coefs : list of ndarray
        Weight matrices, ``coefs[l]`` of shape ``(units[l], units[l + 1])``.

    Returns
    -------
    from_input, to_output : lists of ndarray of bool
        ``from_input[l][j]``: unit ``j`` of layer ``l`` depends on the input through nonzero
        weights (all inputs do); ``to_output[l][j]``: it reaches an output (all outputs do).
    """
    nonzero = [W != 0 for W in coefs]
    from_input = [np.ones(coefs[0].shape[0], dtype=bool)]
    for mask in nonzero:
        from_input.append(mask[from_input[-1]].any(axis=0))
    to_output = [np.ones(coefs[-1].shape[1], dtype=bool)]
    for mask in reversed(nonzero):
        to_output.insert(0, mask[:, to_output[0]].any(axis=1))
    from_input[-1][:] = True
    return from_input, to_output


def active_units(coefs):
    """Active inputs and active hidden units (lists of bool masks, inputs first)."""
    from_input, to_output = reachability(coefs)
    active = [to_output[0]]
    for forward_mask, backward_mask in zip(from_input[1:-1], to_output[1:-1], strict=True):
        active.append(forward_mask & backward_mask)
    return active


def prune_network(coefs, intercepts, activation):
    """The equivalent network without its inactive hidden units.

    Constant units (not depending on the input) are folded into the next layer's biases;
    units that cannot reach the output are dropped. A hidden layer left with no active
    unit keeps one unit with zero weights and zero bias, which has no effect.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        The network.
    activation : str
        Hidden activation.

    Returns
    -------
    coefs, intercepts : lists of ndarray
        New arrays; the network computes the same function.
    """
    from_input, _ = reachability(coefs)
    keep = active_units(coefs)[1:] + [np.ones(coefs[-1].shape[1], dtype=bool)]
    new_coefs, new_intercepts = [], []
    kept_rows = np.arange(coefs[0].shape[0])  # None after a placeholder layer
    constant_rows = np.zeros(coefs[0].shape[0], dtype=bool)
    constants = np.zeros(0, dtype=coefs[0].dtype)
    for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        bias = b.copy()
        if constant_rows.any():
            bias += constants @ W[constant_rows]
        if layer < len(coefs) - 1:
            # a constant unit's folded bias already holds every contribution it receives
            constant_rows = ~from_input[layer + 1]
            constants = inplace_activation(activation, bias[constant_rows][None, :].copy())[0]
        W_rows = W[kept_rows] if kept_rows is not None else np.zeros((1, W.shape[1]), W.dtype)
        columns = np.flatnonzero(keep[layer])
        if columns.size == 0:
            new_coefs.append(np.zeros((W_rows.shape[0], 1), dtype=W.dtype))
            new_intercepts.append(np.zeros(1, dtype=b.dtype))
            kept_rows = None
        else:
            new_coefs.append(W_rows[:, columns])
            new_intercepts.append(bias[columns])
            kept_rows = columns
    return new_coefs, new_intercepts
