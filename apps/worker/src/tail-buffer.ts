/**
 * Keeps the last `capacity` bytes of a stream (a training script's stderr), however
 * much passes through: the end of a traceback is what explains a failure.
 */
export class TailBuffer {
  readonly #capacity: number;
  #tail: Buffer = Buffer.alloc(0);

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(chunk: Buffer): void {
    if (chunk.length >= this.#capacity) {
      this.#tail = Buffer.from(chunk.subarray(chunk.length - this.#capacity));
      return;
    }
    const keep = Math.min(this.#tail.length, this.#capacity - chunk.length);
    this.#tail = Buffer.concat([this.#tail.subarray(this.#tail.length - keep), chunk]);
  }

  /** The kept bytes as UTF-8, starting at a character boundary. */
  toString(): string {
    let start = 0;
    // Trimming may have cut a multi-byte character; its continuation bytes (10xxxxxx) would decode as U+FFFD.
    while (start < this.#tail.length && start < 3 && ((this.#tail[start] ?? 0) & 0xc0) === 0x80) start += 1;
    return this.#tail.subarray(start).toString("utf8");
  }
}
