"""bayestune_client: report a training script's metrics to a bayestune worker.

A bayestune worker runs your training command as a child process, hands it the
trial (params, fidelity, checkpoint to resume from, a private directory) through
environment variables, and reads JSON lines from its stdout. This module is the
script's side of that contract, standard library only: copy this one file next
to your script, or ``pip install ./clients/python``.

Example::

    from bayestune_client import params, fidelity, report, report_final, should_stop

    p = params(defaults={"lr": 3e-4, "batch_size": 32})  # defaults when run by hand
    steps = int(fidelity() or 1000)
    loss = 10.0
    for step in range(steps):
        loss = loss * (1.0 - p["lr"])  # stands in for one optimiser step
        if step % 100 == 0:
            report(step, loss=loss)
        if should_stop():  # pruned or cancelled: stop early, the worker knows why
            break
    report_final(loss=loss)

Every line this module prints is one compact JSON object, ``{"step":100,"loss":2.31}``
for progress and ``{"final":true,"loss":2.0}`` for the result; anything else the
script prints on stdout is its own output and the worker ignores it.

Metric values are numbers or None. NaN and +-Infinity cannot travel in JSON, so
they are written as ``null``, which keeps them visible: a final line whose
objective is null makes the worker fail the trial with reason
"non-finite-metric" (a diverged run is a failed trial, not a value), and so
does a progress line whose objective is null: the worker stops the run there.
"""

from __future__ import annotations

import json
import math
import operator
import os
import sys
import threading
from typing import Any, Dict, Mapping, Optional, Union

__all__ = [
    "BayestuneClientError",
    "TrialEndedError",
    "params",
    "trial",
    "fidelity",
    "checkpoint",
    "trial_dir",
    "checkpoint_dir",
    "report",
    "report_final",
    "report_checkpoint",
    "should_stop",
]

__version__ = "0.1.0"

# Variable names, exactly as CHILD_ENV in packages/protocol/src/child-env.ts.
_STUDY = "BAYESTUNE_STUDY"
_TRIAL = "BAYESTUNE_TRIAL"
_RUNG = "BAYESTUNE_RUNG"
_PARAMS = "BAYESTUNE_PARAMS"
_PARAMS_FILE = "BAYESTUNE_PARAMS_FILE"
_FIDELITY = "BAYESTUNE_FIDELITY"
_CHECKPOINT = "BAYESTUNE_CHECKPOINT"
_TRIAL_DIR = "BAYESTUNE_TRIAL_DIR"
_CHECKPOINT_DIR = "BAYESTUNE_CHECKPOINT_DIR"
_STOP_FILE = "BAYESTUNE_STOP_FILE"

# Keys of a metric line that are not metrics (MetricLine in trial-messages.ts).
_RESERVED = ("step", "final", "checkpoint")

# Two threads reporting at once must not interleave halves of their lines.
_write_lock = threading.Lock()
# Set by the first report_final; every write after it raises TrialEndedError.
_final_sent = False

PathLike = Union[str, "os.PathLike[str]"]


class BayestuneClientError(Exception):
    """The worker's environment is malformed: bad JSON, a missing params file, a non-integer trial number."""


class TrialEndedError(BayestuneClientError):
    """A report came after ``report_final``: the trial's result is already out, so the line would be lost.

    The worker takes the first final line as the result and ignores every line
    after it, so a late ``report`` is a bug in the script (typically a loop that
    runs on after reporting its result), raised here rather than dropped.
    """


def _env(name: str) -> Optional[str]:
    # An empty variable counts as unset, as in most shells' ${VAR:-default}.
    value = os.environ.get(name)
    return value if value else None


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _parse_params(text: str, source: str) -> Dict[str, Any]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise BayestuneClientError(f"{source} must hold a JSON object, got malformed JSON: {error}") from error
    if not isinstance(value, dict):
        raise BayestuneClientError(f"{source} must hold a JSON object, got {type(value).__name__}")
    return value


def params(defaults: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Return the trial's params, keyed by parameter name.

    They are read from ``BAYESTUNE_PARAMS`` (a JSON object) or else from the file
    named by ``BAYESTUNE_PARAMS_FILE``. Values are JSON scalars: float, int, str,
    bool or None. A float param whose value is integral (``1.0``) arrives as an
    int, since JSON does not tell the two apart.

    ``defaults`` fill in what the trial does not set, so one dict can hold both
    the tuned params and the fixed ones; outside a bayestune trial (neither
    variable set) the result is just a copy of ``defaults`` (``{}`` when None),
    so the script also runs by hand.

    Raises BayestuneClientError when the JSON is malformed or not an object, or
    the params file cannot be read.
    """
    merged: Dict[str, Any] = dict(defaults) if defaults is not None else {}
    text = _env(_PARAMS)
    if text is not None:
        merged.update(_parse_params(text, _PARAMS))
        return merged
    path = _env(_PARAMS_FILE)
    if path is not None:
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except OSError as error:
            raise BayestuneClientError(f"{_PARAMS_FILE} names {path!r}, which cannot be read: {error}") from error
        merged.update(_parse_params(text, f"{_PARAMS_FILE} ({path})"))
    return merged


def _env_int(name: str) -> Optional[int]:
    text = _env(name)
    if text is None:
        return None
    try:
        value = int(text, 10)
    except ValueError:
        raise BayestuneClientError(f"{name} must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise BayestuneClientError(f"{name} must be a non-negative integer, got {text!r}")
    return value


def trial() -> Dict[str, Any]:
    """Return which trial this is: ``{"study": str, "number": int, "rung": int}``.

    ``rung`` is the promotion level, 0 for a trial's first run. Outside a
    bayestune trial every value is None. Raises BayestuneClientError when
    ``BAYESTUNE_TRIAL`` or ``BAYESTUNE_RUNG`` is not a non-negative integer.
    """
    return {"study": _env(_STUDY), "number": _env_int(_TRIAL), "rung": _env_int(_RUNG)}


def fidelity() -> Optional[float]:
    """Return the training budget at this rung (steps, tokens, epochs), or None.

    None when the study has no fidelity or the script runs outside a trial.
    Raises BayestuneClientError when ``BAYESTUNE_FIDELITY`` is not a positive number.
    """
    text = _env(_FIDELITY)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BayestuneClientError(f"{_FIDELITY} must be a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise BayestuneClientError(f"{_FIDELITY} must be a positive number, got {text!r}")
    return value


def checkpoint() -> Optional[str]:
    """Return the checkpoint to resume from, or None to start from scratch.

    It is the path the trial's previous rung reported (``report_checkpoint`` or a
    ``checkpoint=`` argument), passed on when the trial was promoted.
    """
    return _env(_CHECKPOINT)


def trial_dir() -> str:
    """Return a directory private to this run of the trial (this rung), for logs and scratch files.

    Outside a trial it is the current working directory, where a script run by
    hand would write anyway; nothing is created.
    """
    return _env(_TRIAL_DIR) or os.getcwd()


def checkpoint_dir() -> str:
    """Return the directory to save this trial's checkpoints in; it exists already.

    It is private to the trial and the same for all its rungs. On a cluster whose
    workers share a ``--checkpoint-dir`` it lies there, so a promoted rung that
    lands on another machine still finds the checkpoint its previous rung
    reported; a checkpoint saved elsewhere (``trial_dir()``) stays on the machine
    that wrote it. Outside a trial it is ``trial_dir()``.
    """
    return _env(_CHECKPOINT_DIR) or trial_dir()


def should_stop() -> bool:
    """Return True when the worker asks the script to stop early.

    That is when the file named by ``BAYESTUNE_STOP_FILE`` exists: the trial was
    pruned or cancelled. Cheap enough (one stat) to call every step. Always
    False outside a trial.

    From then on the script has the worker's grace period (30 s unless the
    worker's ``--stop-grace`` says otherwise) to save its state, call
    ``report_final`` and exit; after it the process is terminated, and the
    trial's result is its last reported value and checkpoint.
    """
    path = _env(_STOP_FILE)
    return path is not None and os.path.exists(path)


def _metric(key: str, value: Any) -> Union[int, float, None]:
    # bool is an int subclass and str converts with float(); both are almost
    # always a mistake in a metric, so they are refused rather than coerced.
    if value is None:
        return None
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"metric {key!r} must be a number or None, got {type(value).__name__} {value!r}")
    if isinstance(value, int):
        # Beyond float range JSON.parse would read Infinity, so it is as non-finite as inf.
        return value if abs(value) <= sys.float_info.max else None
    if not isinstance(value, float):
        try:
            if hasattr(value, "item"):  # numpy and torch scalars, 0-d arrays and tensors
                return _metric(key, value.item())
            value = float(value)  # Decimal, Fraction, anything with __float__
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"metric {key!r} must be a number or None, got {type(value).__name__} {value!r}"
            ) from error
    return value if math.isfinite(value) else None


def _step(step: Any) -> int:
    if isinstance(step, bool):
        raise TypeError(f"step must be a non-negative int, got bool {step!r}")
    try:
        value = operator.index(step)
    except TypeError:
        raise TypeError(f"step must be a non-negative int, got {type(step).__name__} {step!r}") from None
    if value < 0:
        raise ValueError(f"step must be a non-negative int, got {value}")
    return value


def _checkpoint_path(path: PathLike) -> str:
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise ValueError(f"checkpoint must be a non-empty path, got {path!r}")
    return text


def _write(line: Dict[str, Any], metrics: Mapping[str, Any]) -> None:
    for key, value in metrics.items():
        if key in _RESERVED:
            raise TypeError(f"metric {key!r} is reserved for the line's own field; choose another name")
        line[key] = _metric(key, value)
    # allow_nan=False is the last guard: the worker's JSON parser rejects NaN tokens.
    text = json.dumps(line, allow_nan=False, separators=(",", ":"))
    global _final_sent
    with _write_lock:
        if _final_sent:
            raise TrialEndedError(f"the trial already reported its final result; this line comes after it and would be ignored: {text}")
        _final_sent = line.get("final") is True
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def report(step: int, checkpoint: Optional[PathLike] = None, **metrics: Any) -> None:
    """Print one progress line, ``{"step":step,...metrics}``, and flush stdout.

    ``step`` is a non-negative int (what the study's learning curves and pruning
    rules use as x). Each metric is an int, a float, None, or a scalar with
    ``.item()`` or ``__float__`` (numpy, torch, Decimal); NaN and +-Infinity are
    written as null. ``checkpoint``, when given, tells the worker where the
    script saved its state at this step.

    Raises TypeError for a bool, str or other non-numeric metric (naming its key)
    or a non-integer step, ValueError for a negative step or an empty
    checkpoint path, and TrialEndedError after ``report_final``; nothing is
    printed then.
    """
    line: Dict[str, Any] = {"step": _step(step)}
    if checkpoint is not None:
        line["checkpoint"] = _checkpoint_path(checkpoint)
    _write(line, metrics)


def report_final(checkpoint: Optional[PathLike] = None, step: Optional[int] = None, **metrics: Any) -> None:
    """Print the final line, ``{"final":true,...metrics}``, and flush stdout.

    These metrics are the trial's result: the worker takes the study's objective
    from them, so the objective must be among them. A null (NaN, +-Infinity or
    None) objective makes the trial fail with reason "non-finite-metric".
    ``checkpoint`` names the state a later rung may resume from; ``step``, when
    given, is the step the result belongs to. Print it once, as the last line.

    Raises TypeError as ``report`` does, and also when no metric is given;
    TrialEndedError when a final line was already printed.
    """
    if not metrics:
        raise TypeError("report_final needs at least one metric, the objective among them")
    line: Dict[str, Any] = {}
    if step is not None:
        line["step"] = _step(step)
    line["final"] = True
    if checkpoint is not None:
        line["checkpoint"] = _checkpoint_path(checkpoint)
    _write(line, metrics)


def report_checkpoint(path: PathLike) -> None:
    """Tell the worker that the script saved its state at ``path``: prints ``{"checkpoint":path}``.

    The worker passes the checkpoint on when the trial is promoted, and the next
    rung reads it with ``checkpoint()``. Finish writing the state before
    reporting it: the script may be stopped at any moment after.
    """
    _write({"checkpoint": _checkpoint_path(path)}, {})
