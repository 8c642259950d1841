#!/usr/bin/env node
/*
 * The faults bench's training script for a progress flood: trial $FLOOD_TRIAL prints
 * $FLOOD_LINES progress lines {"step", "loss"} in $BURSTS bursts, $PAUSE_MS apart (as
 * fast as the pipe takes each burst), then its final line; with FLOOD_LINES=0 it is
 * the same trial printing nothing. Every other trial only "trains" $SLEEP_MS. Marker
 * files are named as test/fixtures/distributed-trial.mjs names them
 * (t{trial}-w{parent pid}-p{pid}.{start,done}) and hold the time they were written
 * (epoch ms), so that the bench times the trial from its own side.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const x = Number(process.argv.find((arg) => arg.startsWith("--x="))?.slice(4));
const trial = Number(process.env.BAYESTUNE_TRIAL);
const mark = (what) => writeFileSync(join(process.env.MARK_DIR, `t${trial}-w${process.ppid}-p${process.pid}.${what}`), String(Date.now()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function write(text) {
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once("drain", resolve));
}

mark("start");
if (trial === env("FLOOD_TRIAL", 0)) {
  const lines = env("FLOOD_LINES", 0);
  const bursts = env("BURSTS", 1);
  let step = 0;
  for (let burst = 0; burst < bursts; burst++) {
    const end = Math.round(((burst + 1) * lines) / bursts);
    let chunk = "";
    for (; step < end; step++) {
      chunk += `${JSON.stringify({ step, loss: 1 / (step + 1) })}\n`;
      if (chunk.length >= 64 * 1024) {
        await write(chunk);
        chunk = "";
      }
    }
    await write(chunk);
    if (burst < bursts - 1) await sleep(env("PAUSE_MS", 0));
  }
} else {
  await sleep(env("SLEEP_MS", 20));
}
mark("done");
await write(`${JSON.stringify({ final: true, loss: (x - 0.3) ** 2 })}\n`);
