import { describe, expect, it } from "vitest";
import { LineSplitter } from "../src/line-splitter.js";

function split(chunks: readonly (string | Buffer)[], maxLineBytes = 1024): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  const splitter = new LineSplitter(maxLineBytes, (line) => lines.push(line));
  for (const chunk of chunks) splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  splitter.end();
  return { lines, splitter };
}

describe("LineSplitter", () => {
  it("joins lines across chunks and strips CRLF", () => {
    expect(split(["ab", "c\r\nd", "e\nf\r", "\n\n", "last"]).lines).toEqual(["abc", "de", "f", "", "last"]);
  });

  it("decodes a multi-byte character cut between chunks", () => {
    const euro = Buffer.from("x€y\n");
    expect(split([euro.subarray(0, 2), euro.subarray(2)]).lines).toEqual(["x€y"]);
  });

  it("keeps a line of exactly maxLineBytes (with or without CR) and drops a longer one", () => {
    const { lines, splitter } = split(["12345\n", "12345\r\n", "123456\n", "ok\n"], 5);
    expect(lines).toEqual(["12345", "12345", "ok"]);
    expect(splitter.droppedLines).toBe(1);
  });

  it("drops an endless line as it streams, holding at most maxLineBytes + 1, and resumes after its newline", () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    const lines: string[] = [];
    const splitter = new LineSplitter(1000, (line) => lines.push(line));
    for (let i = 0; i < 200; i += 1) splitter.push(chunk); // 12.5 MiB without a newline
    splitter.push(Buffer.from("tail of the flood\nnext\n"));
    splitter.push(Buffer.from("y".repeat(999)));
    splitter.push(Buffer.from("yy"));
    splitter.end();
    expect(lines).toEqual(["next"]);
    expect(splitter.droppedLines).toBe(2);
    expect(splitter.peakBufferedBytes).toBeLessThanOrEqual(1001);
  });
});
