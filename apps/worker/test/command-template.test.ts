import { describe, expect, it } from "vitest";
import { formatParamValue, renderArgv } from "../src/command-template.js";
import { InvalidJobError } from "../src/errors.js";

describe("renderArgv", () => {
  const params = { lr: 0.00031, layers: 12, optimizer: "adamw", tie: true, warmup: null };

  it("substitutes every placeholder, several per argument, and the fidelity", () => {
    expect(
      renderArgv(
        ["python", "train.py", "--lr={lr}", "--arch={layers}x{optimizer}", "--tie={tie}", "--warmup={warmup}", "--steps={fidelity}"],
        params,
        2000,
      ),
    ).toEqual(["python", "train.py", "--lr=0.00031", "--arch=12xadamw", "--tie=true", "--warmup=null", "--steps=2000"]);
  });

  it("keeps full precision, in the shortest form that reads back to the same double", () => {
    const lr = 0.1 + 0.2; // 0.30000000000000004, not 0.3
    const [rendered] = renderArgv(["{lr}"], { lr });
    expect(rendered).toBe("0.30000000000000004");
    expect(Number(rendered)).toBe(lr);
    expect(renderArgv(["{a}", "{b}"], { a: 1e-7, b: 123456789012 })).toEqual(["1e-7", "123456789012"]);
  });

  it("unescapes doubled braces and leaves text without placeholders alone", () => {
    expect(renderArgv(["{{lr}}", "{{{lr}}}", "a}}b{{c", "plain"], { lr: 0.5 })).toEqual(["{lr}", "{0.5}", "a}b{c", "plain"]);
    expect(renderArgv(['--json={{"lr": {lr}}}'], { lr: 0.5 })).toEqual(['--json={"lr": 0.5}']);
  });

  it("rejects an unknown placeholder, naming it, the argument and the known names", () => {
    expect(() => renderArgv(["train.py", "--x={dropout}"], { lr: 1 }, 10)).toThrow(InvalidJobError);
    expect(() => renderArgv(["train.py", "--x={dropout}"], { lr: 1 }, 10)).toThrow(
      /\{dropout\} in argv\[1\] "--x=\{dropout\}".*\{lr\}, \{fidelity\}/,
    );
    expect(() => renderArgv(["{}"], {})).toThrow(/placeholder \{\}/);
  });

  it("rejects {fidelity} without a fidelity, and when a parameter has the same name", () => {
    expect(() => renderArgv(["--steps={fidelity}"], { lr: 1 })).toThrow(/needs a fidelity, but the job has none/);
    expect(() => renderArgv(["{fidelity}"], { fidelity: 3 }, 100)).toThrow(/ambiguous/);
    expect(renderArgv(["{fidelity}"], { fidelity: 3 })).toEqual(["3"]);
  });

  it("rejects unbalanced braces with the fix", () => {
    for (const arg of ["--x={lr", "--x=lr}", "{a{lr}}"]) {
      expect(() => renderArgv([arg], { lr: 1, a: 2 })).toThrow(/braces must be balanced.*write \{\{ or \}\}/);
    }
  });

  it("leaves a parameter's own braces unread", () => {
    expect(renderArgv(["{name}"], { name: "{lr}" })).toEqual(["{lr}"]);
  });

  it("formats values as their JSON scalar, strings raw", () => {
    expect([formatParamValue("a b"), formatParamValue(false), formatParamValue(null), formatParamValue(-0.5)]).toEqual([
      "a b",
      "false",
      "null",
      "-0.5",
    ]);
  });
});
