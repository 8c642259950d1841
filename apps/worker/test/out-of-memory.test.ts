import { describe, expect, it } from "vitest";
import { findOutOfMemoryLine } from "../src/out-of-memory.js";

describe("findOutOfMemoryLine", () => {
  it.each([
    ["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"],
    ["torch.cuda.OutOfMemoryError: oops"],
    ["RuntimeError: CUDA error: out of memory"],
    ["MemoryError: Unable to allocate 64.0 GiB for an array"],
    ["MemoryError"],
    ["terminate called after throwing an instance of 'std::bad_alloc'"],
  ])("finds %s inside a traceback", (line) => {
    expect(findOutOfMemoryLine(`Traceback (most recent call last):\n  File "x.py"\n${line}\nwarning: cleanup\n`)).toBe(line);
  });

  it("counts Killed only as the last line, as dash and bash print it", () => {
    expect(findOutOfMemoryLine("epoch 1\nKilled\n")).toBe("Killed");
    expect(findOutOfMemoryLine("bash: line 1:  4242 Killed                  python train.py\n")).toBe(
      "bash: line 1:  4242 Killed                  python train.py",
    );
    expect(findOutOfMemoryLine("Killed\nValueError: bad shape\n")).toBeUndefined();
  });

  it("ignores ordinary failures and near misses", () => {
    expect(findOutOfMemoryLine("ValueError: shapes do not match\n")).toBeUndefined();
    expect(findOutOfMemoryLine("NoMemoryErrors here; freed memory\n")).toBeUndefined();
    expect(findOutOfMemoryLine("")).toBeUndefined();
  });
});
