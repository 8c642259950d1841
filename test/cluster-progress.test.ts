// A script that reports every step must not flood Redis, slow its own trial, or delay
// results (issue 15, item 6). Real `bayestune coordinator` and `bayestune worker`
// processes on a real Redis; run `npx tsc -b` first.
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resultsQueueName, type StudyConfigInput } from "@bayestune/protocol";
import { createCluster, destroyCluster, finished, sleep, startCoordinator, startWorker, storedTrials, waitFor, writeConfig, type Cluster } from "./support/cluster.js";
import { repositoryRoot } from "./support/run-cli.js";

const PROGRESS_FLOOD = join(repositoryRoot, "test/fixtures/progress-flood.mjs");

let cluster: Cluster;
let results: Queue | undefined;

beforeEach(() => {
  cluster = createCluster();
});
afterEach(async () => {
  await results?.close();
  results = undefined;
  await destroyCluster(cluster);
});

/** One trial of the progress-flood script, given its arguments. */
function floodStudy(name: string, args: readonly string[]): StudyConfigInput {
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 } },
    sampler: "sobol",
    maxTrials: 1,
    command: { argv: [process.execPath, PROGRESS_FLOOD, ...args] },
    trialTimeoutSeconds: 120,
  };
}

function openResultsQueue(study: string): Queue {
  results = new Queue(resultsQueueName(study), { connection: { url: cluster.redisUrl }, prefix: cluster.prefix });
  return results;
}

describe("progress of a script that reports every step", () => {
  it("is coalesced: 200 000 lines make a few progress jobs, the queue stays short and the last step is stored", async () => {
    const lines = 200_000;
    const queue = openResultsQueue("flood");
    const coordinator = startCoordinator(cluster, writeConfig(cluster, floodStudy("flood", [`--lines=${lines}`])));
    startWorker(cluster, "w1");

    // The results queue's backlog, sampled while the study runs.
    let peak = 0;
    let running = true;
    const sampling = (async () => {
      while (running) {
        // A test that timed out has its queue closed under this loop.
        const counts = await queue.getJobCounts("wait", "prioritized", "active", "delayed").catch(() => undefined);
        if (counts === undefined) return;
        peak = Math.max(peak, Object.values(counts).reduce((sum, n) => sum + n, 0));
        await sleep(20);
      }
    })();
    try {
      expect(await finished(cluster, coordinator, 50_000)).toEqual({ finished: 1, failed: 0 });
    } finally {
      running = false;
      await sampling;
    }

    const [trial] = await storedTrials(cluster, "flood");
    expect(trial?.state).toBe("complete");
    const steps = trial?.intermediate.map((report) => report.step) ?? [];
    // The last step is never dropped: it is flushed before the result.
    expect(steps.at(-1)).toBe(lines - 1);
    // One report per second (the default interval) while the trial ran, plus the first and the last.
    const ranSeconds = ((trial?.finishedAt ?? 0) - (trial?.createdAt ?? 0)) / 1000;
    expect(steps.length).toBeLessThanOrEqual(Math.ceil(ranSeconds) + 2);
    expect(steps.length).toBeLessThan(lines / 1000);
    // At most one progress post in flight per trial, then the last report and the result.
    expect(peak).toBeLessThanOrEqual(4);
  });

  it("never delays a result: the result is applied before the progress queued ahead of it", async () => {
    const lines = 3_000;
    const queue = openResultsQueue("overtake");
    // Nothing is consumed until the test resumes the queue: the worker's progress piles up.
    await queue.pause();
    const config = floodStudy("overtake", [`--lines=${lines}`, "--pause-every=10", "--pause-ms=5"]);
    const coordinator = startCoordinator(cluster, writeConfig(cluster, config));
    // Interval 0: a post whenever the previous one is done, so that hundreds queue up.
    const worker = startWorker(cluster, "w1", ["--progress-interval", "0"]);
    await waitFor("the trial to end and its result to be posted", () => worker.output().includes('"msg":"trial ended"'), 40_000);

    // Hundreds of progress jobs were queued before the result, the last one of them.
    const queued = await queue.getJobCounts("prioritized", "wait");
    expect((queued.prioritized ?? 0) + (queued.wait ?? 0) - 1).toBeGreaterThanOrEqual(100);

    await queue.resume();
    expect(await finished(cluster, coordinator, 15_000)).toEqual({ finished: 1, failed: 0 });
    const [trial] = await storedTrials(cluster, "overtake");
    expect(trial?.state).toBe("complete");
    // Only the last report came before the result; every earlier one was still queued when the
    // result finished the trial (and a report of a finished trial is refused).
    expect(trial?.intermediate.map((report) => report.step)).toEqual([lines - 1]);
  });
});
