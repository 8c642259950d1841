"""A real (tiny) training job for bayestune's embedded mode: minibatch SGD with
momentum on a synthetic linear-regression task, in pure Python.

It reads its hyperparameters through the bayestune client, reports the
validation loss as it trains, and diverges (NaN loss) when the learning rate is
too high for the batch size, like a real run can.
"""
import math
import random
import sys

from bayestune_client import params, report, report_final, should_stop

p = params(defaults={"lr": 0.01, "batch_size": 16, "momentum": 0.9, "steps": 300})
lr, batch_size, momentum = float(p["lr"]), int(p["batch_size"]), float(p["momentum"])
steps = int(p.get("steps", 300))

# A fixed synthetic task: 8 features, noisy linear target; the split never changes.
data_rng = random.Random(1234)
true_w = [data_rng.uniform(-2, 2) for _ in range(8)]
def sample():
    x = [data_rng.gauss(0, 1) for _ in range(8)]
    return x, sum(w * v for w, v in zip(true_w, x)) + data_rng.gauss(0, 0.1)
train = [sample() for _ in range(512)]
valid = [sample() for _ in range(256)]

def mse(w, rows):
    return sum((sum(a * b for a, b in zip(w, x)) - y) ** 2 for x, y in rows) / len(rows)

rng = random.Random(7)
w = [0.0] * 8
velocity = [0.0] * 8
for step in range(1, steps + 1):
    batch = [train[rng.randrange(len(train))] for _ in range(batch_size)]
    grad = [0.0] * 8
    for x, y in batch:
        err = sum(a * b for a, b in zip(w, x)) - y
        for j in range(8):
            grad[j] += 2 * err * x[j] / batch_size
    velocity = [momentum * v - lr * g for v, g in zip(velocity, grad)]
    w = [a + v for a, v in zip(w, velocity)]
    if step % 50 == 0 or step == steps:
        loss = mse(w, valid)
        if not math.isfinite(loss) or loss > 1e12:
            report_final(loss=float("nan"))  # diverged: the worker records a failed trial
            sys.exit(0)
        report(step, loss=loss)
        if should_stop():
            break
report_final(loss=mse(w, valid))
