#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { ConfigError } from "@bayestune/coordinator";
import { DashboardAccessError } from "@bayestune/dashboard";
import { StudyLeaseError } from "@bayestune/store";
import { coordinatorCommand } from "./commands/coordinator-command.js";
import { dashboardCommand } from "./commands/dashboard-command.js";
import { endpointTrialCommand } from "./commands/endpoint-trial-command.js";
import { exportCommand } from "./commands/export-command.js";
import { statusCommand } from "./commands/status-command.js";
import { tuneCommand } from "./commands/tune-command.js";
import { workerCommand } from "./commands/worker-command.js";
import { DEFAULT_LOCAL_STORE } from "./open-store.js";

const program = new Command()
  .name("bayestune")
  .description("Bayesian optimisation for LLM hyperparameters")
  .showHelpAfterError()
  .exitOverride();

program
  .command("tune")
  .description("run a whole study on this machine (no Redis): the GP in-process, trials as local child processes")
  .argument("<config>", "study config, YAML or JSON")
  .option("--slots <n>", "trials run at once", "1")
  .option("--gpus <ids>", "comma-separated GPU ids, one per slot (CUDA_VISIBLE_DEVICES)")
  .option("--work-dir <dir>", "where each trial gets its folder, and the study store", ".bayestune")
  .option("--store <file>", "where the study is kept; run again, the same config resumes it (:memory: keeps nothing) (default: <work-dir>/studies.sqlite)")
  .option("--no-progress", "print one line per trial instead of a progress bar")
  .option("--stop-grace <seconds>", "how long a trial the pruner stops has, once should_stop() is true, to print its final line and exit before it is terminated (default: 30)")
  .option("--port <n>", "serve the study's live dashboard on <host>:<n> while it runs")
  .option("--host <address>", "where --port listens; anything but loopback needs --token", "127.0.0.1")
  .option("--token <token>", "required on every request to --port (default: $BAYESTUNE_DASHBOARD_TOKEN)")
  .option("--refresh <ms>", "how often the dashboard's pages update", "2000")
  .action(tuneCommand);

program
  .command("coordinator")
  .description("run a study over Redis: suggests trials, queues them for workers, records their results")
  .argument("<config>", "study config, YAML or JSON")
  .requiredOption("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379")
  .option("--prefix <prefix>", "BullMQ key prefix, the same for the coordinator and its workers (default: bull)")
  .option("--port <n>", "serve the dashboard, the read-only HTTP API and Bull Board on <host>:<n>")
  .option("--host <address>", "where --port listens; anything but loopback needs --token", "127.0.0.1")
  .option("--token <token>", "required on every request to --port (default: $BAYESTUNE_DASHBOARD_TOKEN)")
  .option("--queue-ahead <n>", "jobs kept waiting beyond the free worker slots, so a freed slot starts at once (default: 0)")
  .option("--secret-file <file>", "the cluster's shared secret, which signs every job (default: $BAYESTUNE_SECRET)")
  .option("--lease <ms>", "how long the study's lease lives unrenewed: a restart after a crash waits up to this, a second coordinator is refused within it (default: 10000)")
  .action(coordinatorCommand);

program
  .command("dashboard")
  .description("serve the live study dashboard and the read-only API: the studies in Redis (with Bull Board), or in the local store file")
  .option("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379 (default: the local store file)")
  .option("--store <file>", `the store file \`bayestune tune\` keeps its studies in (default: ${DEFAULT_LOCAL_STORE})`)
  .option("--prefix <prefix>", "BullMQ key prefix, the coordinator's (default: bull)")
  .option("--host <address>", "where to listen; anything but loopback needs a token", "127.0.0.1")
  .option("--port <n>", "port (0: any free one)", "8080")
  .option("--token <token>", "required on every request (default: $BAYESTUNE_DASHBOARD_TOKEN)")
  .option("--refresh <ms>", "how often the pages update", "2000")
  .action(dashboardCommand);

program
  .command("worker")
  .description("run the trials a coordinator queues, until SIGINT/SIGTERM")
  .requiredOption("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379")
  .option("--gpus <ids>", "comma-separated GPU ids, one slot per id (CUDA_VISIBLE_DEVICES)")
  .option("--slots <n>", "CPU slots, when no --gpus (default: 1)")
  .option("--work-dir <dir>", "where each trial gets its folder", ".bayestune/runs")
  .option("--prefix <prefix>", "BullMQ key prefix, the coordinator's (default: bull)")
  .option("--id <id>", "this worker's name in results, logs and the dashboard (default: <hostname>-<pid>)")
  .option("--lock-duration <ms>", "how long a job's lock lives unrenewed; a dead worker's job is retried after 1-3 times this (default: 30000)")
  .option("--secret-file <file>", "the cluster's shared secret: only jobs signed with it run (default: $BAYESTUNE_SECRET)")
  .option("--checkpoint-dir <dir>", "shared by every worker (a network file system): each trial saves its checkpoints under it, so a promotion resumes on any machine (default: under --work-dir, this machine's alone)")
  .option("--progress-interval <ms>", "least time between two progress reports posted per trial; the newest is kept (default: 1000)")
  .option("--stop-grace <seconds>", "how long a trial the engine stops early has, once its stop file exists, to print its final line and exit before it is terminated (default: 30)")
  .action(workerCommand);

program
  .command("status")
  .description("every study's trial counts, or one study's counts, best trial and failures")
  .argument("[study]", "study name")
  .option("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379 (default: the local store file)")
  .option("--store <file>", `the store file \`bayestune tune\` keeps its studies in (default: ${DEFAULT_LOCAL_STORE})`)
  .option("--prefix <prefix>", "BullMQ key prefix, the coordinator's (default: bull)")
  .option("--json", "print JSON instead of text")
  .action(statusCommand);

program
  .command("export")
  .description("every trial of a study as CSV or JSON")
  .argument("<study>", "study name")
  .option("--redis <url>", "Redis URL, e.g. redis://127.0.0.1:6379 (default: the local store file)")
  .option("--store <file>", `the store file \`bayestune tune\` keeps its studies in (default: ${DEFAULT_LOCAL_STORE})`)
  .option("--prefix <prefix>", "BullMQ key prefix, the coordinator's (default: bull)")
  .requiredOption("--format <format>", "csv, json, or html (a self-contained report with the plots)")
  .option("--output <file>", "write there instead of stdout")
  .action(exportCommand);

program
  .command("endpoint-trial")
  .description(
    "a study's command for sampling parameters: score the trial's temperature, top_p, max_tokens and penalties against an OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY)",
  )
  .requiredOption("--prompts <file>", 'JSON lines of {"prompt": ..., "reference": ...}')
  .option("--scoring <rule>", "exact, regex (the reference is a pattern), or command:<program> [args] (prints a number)", "exact")
  .option("--repeats <n>", "passes over the prompts per configuration: generation is noisy", "3")
  .option("--model <name>", "the model name the endpoint serves", "tiny-lm")
  .option("--metric <name>", "key of the final line's mean score (its spread is <name>_std)", "score")
  .action(endpointTrialCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; --help and --version exit 0, a misused flag is the user's to fix.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof DashboardAccessError || error instanceof StudyLeaseError) {
    console.error(`bayestune: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof ConfigError) {
    console.error(`bayestune: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    console.error(`bayestune: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
