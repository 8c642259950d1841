#!/usr/bin/env node
/*
 * The faults bench's training script for promotions across machines: each rung saves a
 * checkpoint under $BAYESTUNE_CHECKPOINT_DIR and names it on its final line; a promoted
 * rung first reads the one it is handed ($BAYESTUNE_CHECKPOINT) and leaves a marker
 * t{trial}-r{rung}-w{parent pid}.resumed when it holds the previous rung's state (or
 * .wrong-checkpoint when not). Start/done markers as test/fixtures/distributed-trial.mjs
 * names them. $SLEEP_MS is how long each rung "trains".
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const x = Number(process.argv.find((arg) => arg.startsWith("--x="))?.slice(4));
const trial = Number(process.env.BAYESTUNE_TRIAL);
const rung = Number(process.env.BAYESTUNE_RUNG);
const marks = process.env.MARK_DIR;
const mark = (what) => writeFileSync(join(marks, `t${trial}-w${process.ppid}-p${process.pid}.${what}`), "");

mark("start");
const from = process.env.BAYESTUNE_CHECKPOINT;
if (from !== undefined) {
  const resumed = readFileSync(from, "utf8") === `trial ${trial} rung ${rung - 1}`;
  writeFileSync(join(marks, `t${trial}-r${rung}-w${process.ppid}.${resumed ? "resumed" : "wrong-checkpoint"}`), "");
}
await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLEEP_MS ?? 20)));
const checkpoint = join(process.env.BAYESTUNE_CHECKPOINT_DIR, `rung-${rung}.txt`);
writeFileSync(checkpoint, `trial ${trial} rung ${rung}`);
mark("done");
process.stdout.write(`${JSON.stringify({ final: true, loss: (x - 0.3) ** 2 + 1 / (rung + 1), checkpoint })}\n`);
