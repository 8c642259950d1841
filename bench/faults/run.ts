/*
 * Faults and bad input, with real processes: workers, coordinators and Redis killed
 * mid-study, studies sharing a cluster, messages made by hand, misbehaving training
 * commands (the scenarios of issue 15, those that passed before it included). Each
 * scenario records what it measured and whether its checks held; the section
 * "Faults and bad input" of docs/benchmarks.md lists them all, and the bench exits 1
 * when any is not met.
 *
 *   npm run bench:faults [-- --only worker-kill,3] [-- --report FILE]
 *
 * With --only the section goes to a file in the temp dir (a partial table must not
 * replace the docs'), unless --report names one.
 */
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repositoryRoot } from "../../test/support/run-cli.js";
import { replaceSection } from "../doc-sections.js";
import { describeMachine } from "../machine.js";
import { crossMachineCheckpoint } from "./checkpoint-scenario.js";
import { coordinatorKill, coordinatorTakeover, longOutage, outageMidTrial, redisKill, redisShutdown, workerKill } from "./crash-scenarios.js";
import { fatalStartup, misbehavingCommands, progressFlood, setsidGrandchild } from "./input-scenarios.js";
import { renderFaultsReport } from "./report.js";
import { Checks, firstLine, type FaultScenario, type Measured, type ScenarioOutcome } from "./scenario.js";
import { forgedMessages, malformedJobs, secondCoordinator, threeStudies } from "./sharing-scenarios.js";

/** In the issue's order; a row's number is its place here. */
const SCENARIOS: readonly FaultScenario[] = [
  workerKill,
  coordinatorKill,
  redisShutdown,
  redisKill,
  longOutage,
  threeStudies,
  secondCoordinator,
  coordinatorTakeover,
  forgedMessages,
  malformedJobs,
  progressFlood,
  fatalStartup,
  crossMachineCheckpoint,
  setsidGrandchild,
  misbehavingCommands,
  outageMidTrial,
];

const log = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/** The scenarios `--only` names, by slug or number; all of them without it. */
function selected(only: string | undefined): FaultScenario[] {
  if (only === undefined) return [...SCENARIOS];
  return only.split(",").map((name) => {
    const scenario = /^\d+$/.test(name) ? SCENARIOS[Number(name) - 1] : SCENARIOS.find((s) => s.slug === name);
    if (scenario === undefined) throw new Error(`--only must name scenarios by number (1-${SCENARIOS.length}) or slug (${SCENARIOS.map((s) => s.slug).join(", ")}), got ${JSON.stringify(name)}`);
    return scenario;
  });
}

async function runScenario(scenario: FaultScenario): Promise<ScenarioOutcome> {
  const measured: Measured = { trials: "—", executions: "—", recovery: "—", notes: [] };
  const checks = new Checks();
  const startedAt = Date.now();
  try {
    await scenario.run({ measured, checks });
  } catch (error) {
    // A hang or a missing feature is an outcome too: reported, never dropped.
    log(`  ${scenario.slug} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    checks.expect(false, `the scenario stopped: ${firstLine(error)}`);
  }
  const { run: _run, ...described } = scenario;
  return { scenario: described, measured, failures: checks.failures, met: checks.failures.length === 0, wallMs: Date.now() - startedAt };
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: "string" }, report: { type: "string" } } });
  const scenarios = selected(values.only);
  const reportPath = values.report ?? (values.only !== undefined ? join(tmpdir(), "bayestune-faults-bench.md") : join(repositoryRoot, "docs/benchmarks.md"));
  const startedAt = Date.now();
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of scenarios) {
    log(`${scenario.slug}: ${scenario.title}`);
    const outcome = await runScenario(scenario);
    log(`  ${outcome.met ? "met" : "NOT MET"} in ${(outcome.wallMs / 1000).toFixed(1)} s; ${outcome.measured.trials}; ${outcome.measured.recovery}`);
    for (const failure of outcome.failures) log(`  - ${failure}`);
    outcomes.push(outcome);
  }
  const section = renderFaultsReport({
    command: `npm run bench:faults${values.only !== undefined ? ` -- --only ${values.only}` : ""}`,
    date: new Date().toISOString(),
    wallMinutes: (Date.now() - startedAt) / 60000,
    machine: describeMachine({ python: null, optuna: null, torch: null, scipy: null }),
    redisVersion: redisVersion(),
    outcomes,
  });
  const previous = await readFile(reportPath, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(reportPath, replaceSection(previous, "faults", section));
  log(`wrote ${reportPath}`);
  const notMet = outcomes.filter((o) => !o.met);
  if (notMet.length > 0) {
    log(`not met: ${notMet.map((o) => o.scenario.slug).join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
