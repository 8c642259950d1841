import { spawn } from "node:child_process";
import { ConfigError } from "@bayestune/coordinator";

/** How a completion is scored against its reference: 1 or 0, or the user command's number. */
export type ScoringRule = { readonly kind: "exact" } | { readonly kind: "regex" } | { readonly kind: "command"; readonly argv: readonly string[] };

/** `exact`, `regex`, or `command:<program> [args…]` as given to --scoring. */
export function parseScoringRule(text: string): ScoringRule {
  if (text === "exact" || text === "regex") return { kind: text };
  if (text.startsWith("command:") && text.slice("command:".length).trim() !== "") {
    return { kind: "command", argv: text.slice("command:".length).trim().split(/\s+/) };
  }
  throw new ConfigError(`--scoring must be exact, regex or command:<program> [args], got ${JSON.stringify(text)}`);
}

/**
 * The score of one completion:
 * - exact: 1 when it equals the reference once both are trimmed, else 0;
 * - regex: 1 when the reference, read as a regular expression, matches somewhere in it;
 * - command: the number the command prints, given the completion on stdin and the
 *   prompt and reference in BAYESTUNE_PROMPT and BAYESTUNE_REFERENCE.
 * @throws Error naming the command when it fails or prints no number.
 */
export async function score(rule: ScoringRule, completion: string, prompt: string, reference: string): Promise<number> {
  switch (rule.kind) {
    case "exact":
      return completion.trim() === reference.trim() ? 1 : 0;
    case "regex":
      return new RegExp(reference, "u").test(completion) ? 1 : 0;
    case "command":
      return runScorer(rule.argv, completion, { BAYESTUNE_PROMPT: prompt, BAYESTUNE_REFERENCE: reference });
  }
}

function runScorer(argv: readonly string[], input: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const [program = "", ...args] = argv;
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", (error) => reject(new Error(`scoring command ${program} could not start: ${error.message}`)));
    child.on("close", (code) => {
      const value = Number(out.trim());
      if (code !== 0) reject(new Error(`scoring command ${argv.join(" ")} exited with ${code}`));
      else if (out.trim() === "" || !Number.isFinite(value)) reject(new Error(`scoring command ${argv.join(" ")} must print a number, printed ${JSON.stringify(out.trim())}`));
      else resolve(value);
    });
    child.stdin.end(input);
  });
}
