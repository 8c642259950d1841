import { describe, expect, it } from "vitest";
import { TailBuffer } from "../src/tail-buffer.js";

describe("TailBuffer", () => {
  it("keeps exactly the last capacity bytes across small and large chunks", () => {
    const tail = new TailBuffer(10);
    tail.push(Buffer.from("abc"));
    expect(tail.toString()).toBe("abc");
    tail.push(Buffer.from("defghij"));
    tail.push(Buffer.from("kl"));
    expect(tail.toString()).toBe("cdefghijkl");
    tail.push(Buffer.from("0123456789ABCDEF"));
    expect(tail.toString()).toBe("6789ABCDEF");
  });

  it("starts at a character boundary when trimming cut a multi-byte character", () => {
    const tail = new TailBuffer(5);
    tail.push(Buffer.from("a€€")); // 'a' + 2 × 3 bytes; the last 5 bytes cut the first '€'
    expect(tail.toString()).toBe("€");
  });

  it("keeps nothing with capacity 0", () => {
    const tail = new TailBuffer(0);
    tail.push(Buffer.from("abc"));
    expect(tail.toString()).toBe("");
  });
});
