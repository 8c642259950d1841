import { describe, expect, it } from "vitest";
import { parseScoringRule, score } from "../src/endpoint/scoring.js";

describe("scoring rules for endpoint trials", () => {
  it("exact compares trimmed text; regex matches the reference as a pattern", async () => {
    expect(await score({ kind: "exact" }, " Paris\n", "capital?", "Paris")).toBe(1);
    expect(await score({ kind: "exact" }, "paris", "capital?", "Paris")).toBe(0);
    expect(await score({ kind: "regex" }, "the answer is 42.", "q", "\\b42\\b")).toBe(1);
    expect(await score({ kind: "regex" }, "the answer is 420", "q", "\\b42\\b")).toBe(0);
  });

  it("a command gets the completion on stdin and the prompt and reference in its environment, and prints the score", async () => {
    expect(parseScoringRule("command:python3 score.py --strict")).toEqual({ kind: "command", argv: ["python3", "score.py", "--strict"] });
    const noSpaces = `let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(s.length/10+(process.env.BAYESTUNE_REFERENCE==="ref"&&process.env.BAYESTUNE_PROMPT==="p"?1:0)));`;
    expect(await score({ kind: "command", argv: [process.execPath, "-e", noSpaces] }, "abcde", "p", "ref")).toBe(1.5);
  });

  it("refuses an unknown rule, and fails clearly when the command prints no number or exits non-zero", async () => {
    expect(() => parseScoringRule("fuzzy")).toThrow(/--scoring must be exact, regex or command:<program> \[args\], got "fuzzy"/);
    expect(() => parseScoringRule("command:")).toThrow(/--scoring must be/);
    await expect(score({ kind: "command", argv: [process.execPath, "-e", "console.log('good')"] }, "x", "p", "r")).rejects.toThrow(/must print a number, printed "good"/);
    await expect(score({ kind: "command", argv: [process.execPath, "-e", "process.exit(3)"] }, "x", "p", "r")).rejects.toThrow(/exited with 3/);
  });
});
