"""The benchmark objectives of bench/problems.ts, written again for the Optuna driver.

Spaces, optima and budgets live only in bench/problems.ts (run.ts passes them in);
this file holds just the functions. Pure standard library, so that
`python3 problems.py --check` works without the bench virtual environment.

--check reads {"points": [{"problem": name, "params": {...}}, ...]} on stdin and
writes {"values": [...]} on stdout, null standing for NaN; run.ts compares the
values with its own and refuses to benchmark if they differ.
"""

import json
import math
import re
import sys


def _vector(params, d):
    return [params[f"x{i}"] for i in range(d)]


def branin(params):
    x1, x2 = _vector(params, 2)
    b = 5.1 / (4 * math.pi * math.pi)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2]
_HARTMANN6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
_HARTMANN6_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]


def hartmann6(params):
    x = _vector(params, 6)
    total = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            inner += _HARTMANN6_A[i][j] * (x[j] - _HARTMANN6_P[i][j]) ** 2
        total += _HARTMANN6_ALPHA[i] * math.exp(-inner)
    return -total


def ackley(params, d):
    x = _vector(params, d)
    squares = sum(v * v for v in x)
    cosines = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(squares / d)) - math.exp(cosines / d) + 20 + math.e


def levy(params, d):
    w = [1 + (v - 1) / 4 for v in _vector(params, d)]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2)
    return total + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def rosenbrock(params, d):
    x = _vector(params, d)
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(d - 1))


def styblinski_tang(params, d):
    return sum(v**4 - 16 * v * v + 5 * v for v in _vector(params, d)) / 2


# optimizer -> (loss floor, log10 of the best lr at batch 64, divergence margin in decades)
_LLM_OPTIMIZERS = {
    "adamw": (2.0, -3.5, 1.2),
    "lion": (2.03, -4.2, 0.8),
    "sgd": (2.15, -1.6, 0.1),
}


def llm_mixed(params):
    """See llmMixed in bench/problems.ts for the shape and the reasons behind it."""
    base, log10_lr, stability = _LLM_OPTIMIZERS[params["optimizer"]]
    u = math.log10(params["lr"])
    log2_batch = math.log2(params["batch"])
    warmup = params["warmup"] / 1000
    dropout = params["dropout"]
    best_u = log10_lr + 0.5 * math.log10(params["batch"] / 64)
    excess = u - best_u
    if excess > stability + 0.3 * min(warmup, 1):
        return math.nan
    return (
        base
        + 0.3 * excess**2
        + 0.02 * (log2_batch - 6) ** 2
        + 0.2 * (warmup - 0.4) ** 2
        + 0.8 * (dropout - 0.1) ** 2
        + 0.15 * max(0, excess + 0.5) * max(0, 0.3 - warmup)
    )


# Hartmann6's coordinates among the 20 of hartmann6-in-20d (HARTMANN6_IN_20D_ACTIVE in problems.ts).
_HARTMANN6_IN_20D_ACTIVE = [1, 4, 8, 11, 15, 18]


def hartmann6_in_20d(params):
    return hartmann6({f"x{i}": params[f"x{j}"] for i, j in enumerate(_HARTMANN6_IN_20D_ACTIVE)})


_FUNCTIONS = {
    "branin": branin,
    "hartmann6": hartmann6,
    "ackley5": lambda p: ackley(p, 5),
    "levy6": lambda p: levy(p, 6),
    "rosenbrock4": lambda p: rosenbrock(p, 4),
    "styblinski-tang4": lambda p: styblinski_tang(p, 4),
    "llm-mixed": llm_mixed,
    "hartmann6-in-20d": hartmann6_in_20d,
}


def objective(name):
    """The objective called `name`; levyD for any dimension D (the latency problem)."""
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    match = re.fullmatch(r"levy(\d+)", name)
    if match:
        d = int(match.group(1))
        return lambda p: levy(p, d)
    raise KeyError(f"unknown problem {name!r}")


def _check():
    request = json.load(sys.stdin)
    values = []
    for item in request["points"]:
        value = objective(item["problem"])(item["params"])
        values.append(value if math.isfinite(value) else None)
    json.dump({"values": values}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        _check()
    else:
        sys.exit("usage: problems.py --check  (JSON on stdin, JSON on stdout)")
