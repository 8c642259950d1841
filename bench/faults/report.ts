import type { MachineInfo } from "../machine.js";
import type { ScenarioOutcome } from "./scenario.js";

export interface FaultsReportContext {
  readonly command: string;
  readonly date: string;
  readonly wallMinutes: number;
  readonly machine: MachineInfo;
  readonly redisVersion: string;
  readonly outcomes: readonly ScenarioOutcome[];
}

/** A table cell: no pipe or line break may end it early. */
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

/** The "Faults and bad input" section of docs/benchmarks.md. */
export function renderFaultsReport(c: FaultsReportContext): string {
  const m = c.machine;
  const met = c.outcomes.filter((o) => o.met).length;
  const out: string[] = [];
  out.push("## Faults and bad input");
  out.push("");
  out.push("<!-- Written by bench/faults/run.ts from a real run; do not edit by hand. -->");
  out.push("");
  out.push(`- Command: \`${c.command}\``);
  out.push(`- Date: ${c.date} (wall time ${c.wallMinutes.toFixed(1)} min)`);
  out.push(`- Machine: ${m.nproc} CPUs, ${m.cpuModel}, ${m.os}, Node ${m.node}, Redis ${c.redisVersion}. Every process of a scenario and Redis share these CPUs.`);
  out.push(
    "- Setup: each scenario runs real `bayestune coordinator` and `bayestune worker` processes (the built CLI, a shared secret in `BAYESTUNE_SECRET`) under a key prefix of its own, on the machine's Redis or, where Redis is stopped, on a `redis-server --appendonly yes --appendfsync always` of its own, and removes its processes, keys and files after it. " +
      "The training script is test/fixtures/distributed-trial.mjs (loss (x − 0.3)², a few ms to 1.5 s of \"training\") unless the row says otherwise.",
  );
  out.push(
    "- Executions are counted by the training script's own marker files: one when it starts, one just before its final line (\"ran to the end\"), so a trial run twice shows up whatever the store says. " +
      "Time to recover: from the fault to the first trial the coordinator recorded after it, or to the process's exit, as the cell says. " +
      "Met: every check of the scenario in bench/faults/ held; a check that failed is listed under the table.",
  );
  out.push("");
  out.push("| # | scenario | what was done | expected | trials | executions | time to recover | also measured | met |");
  out.push("| ---: | --- | --- | --- | --- | --- | --- | --- | --- |");
  c.outcomes.forEach((o, i) => {
    const s = o.scenario;
    const notes = o.measured.notes.length > 0 ? o.measured.notes.join("; ") : "—";
    out.push(
      `| ${i + 1} | ${cell(s.title)} (\`${s.slug}\`) | ${cell(s.action)} | ${cell(s.expected)} | ${cell(o.measured.trials)} | ${cell(o.measured.executions)} | ${cell(o.measured.recovery)} | ${cell(notes)} | ${o.met ? "**met**" : "**not met**"} |`,
    );
  });
  out.push("");
  out.push(`${met} of ${c.outcomes.length} scenarios met.`);
  const failing = c.outcomes.filter((o) => !o.met);
  if (failing.length > 0) {
    out.push("");
    out.push("### Not met");
    out.push("");
    for (const o of failing) out.push(`- \`${o.scenario.slug}\`: ${o.failures.map((f) => cell(f)).join("; ")}`);
  }
  return out.join("\n");
}
