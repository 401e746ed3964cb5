"""What every sklreg estimator adds to scikit-learn's ``BaseEstimator``."""

import weakref

# class: (its __init__, the parameter names BaseEstimator found in its signature)
_PARAM_NAMES = weakref.WeakKeyDictionary()


class CachedParamNamesMixin:
    """The constructor's parameter names, introspected once per class.

    scikit-learn's ``BaseEstimator._get_param_names`` reads the signature of ``__init__``
    whenever ``get_params`` runs: at every ``fit`` (parameter validation), ``clone`` and
    ``repr``. That took about 60 us, a seventh of a ``LinearRegressor`` fit on a small
    problem. The names are those ``BaseEstimator`` gives, found again for a subclass or a
    replaced ``__init__``. Put it before ``BaseEstimator`` in the bases.
    """

    @classmethod
    def _get_param_names(cls):
        cached = _PARAM_NAMES.get(cls)
        if cached is None or cached[0] is not cls.__init__:
            cached = _PARAM_NAMES[cls] = (cls.__init__, tuple(super()._get_param_names()))
        return list(cached[1])
