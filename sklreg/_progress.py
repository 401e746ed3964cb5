"""Optional progress bars (tqdm) for paths, cross-validation and network training."""

import contextlib

TQDM_MISSING = "progress_bar=True needs the tqdm package: pip install tqdm"


class _NoBar:
    """Stands in for a bar when none is shown."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text, refresh=True):
        pass


@contextlib.contextmanager
def tqdm_bar(enabled, total, desc, unit):
    """A tqdm bar (on stderr) when ``enabled``, else an object whose methods do nothing.

    Parameters
    ----------
    enabled : bool
        Show the bar.
    total : int or None
        Number of steps, when known.
    desc : str
        Label at the left of the bar.
    unit : str
        Name of one step ('alpha', 'path', 'epoch').

    Yields
    ------
    bar : tqdm.tqdm or _NoBar
        Call ``bar.update()`` after each step.

    Raises
    ------
    ImportError
        When ``enabled`` and tqdm is not installed.
    """
    if not enabled:
        yield _NoBar()
        return
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError(TQDM_MISSING) from exc
    with tqdm(total=total, desc=desc, unit=unit, leave=False) as bar:
        yield bar
