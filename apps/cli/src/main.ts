#!/usr/bin/env node
import { Command } from "commander";
import { tuneCommand } from "./commands/tune-command.js";
import { ConfigError } from "@bayestune/coordinator";

const program = new Command()
  .name("bayestune")
  .description("Bayesian optimisation for LLM hyperparameters")
  .showHelpAfterError();

program
  .command("tune")
  .description("run a whole study on this machine (no Redis): the GP in-process, trials as local child processes")
  .argument("<config>", "study config, YAML or JSON")
  .option("--slots <n>", "trials run at once", "1")
  .option("--gpus <ids>", "comma-separated GPU ids, one per slot (CUDA_VISIBLE_DEVICES)")
  .option("--work-dir <dir>", "where each trial gets its folder", ".bayestune/runs")
  .option("--no-progress", "print one line per trial instead of a progress bar")
  .action(tuneCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`bayestune: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    console.error(`bayestune: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
