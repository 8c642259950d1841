const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines (LF or CRLF), across chunk boundaries, holding
 * at most `maxLineBytes` bytes: a longer line is dropped as it streams past, so a
 * child printing 100 MB without a newline costs no memory. Bytes are decoded only
 * once a line is whole, so a multi-byte character split between chunks survives.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;
  #droppedLines = 0;
  #peakBufferedBytes = 0;

  /** @param maxLineBytes - longest line kept, in bytes, without its line ending. */
  constructor(maxLineBytes: number, onLine: (line: string) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
  }

  /** Lines dropped for being longer than `maxLineBytes`. */
  get droppedLines(): number {
    return this.#droppedLines;
  }

  /** The most bytes ever held for an unfinished line; never above `maxLineBytes` + 1. */
  get peakBufferedBytes(): number {
    return this.#peakBufferedBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#hold(chunk.subarray(start, newline));
      this.#endLine();
      start = newline + 1;
    }
  }

  /** Ends the stream: a last line without a newline still counts. */
  end(): void {
    if (this.#pendingBytes > 0 || this.#discarding) this.#endLine();
  }

  #hold(part: Buffer): void {
    if (this.#discarding || part.length === 0) return;
    // One byte of slack for the '\r' of a CRLF line of exactly maxLineBytes.
    if (this.#pendingBytes + part.length > this.#maxLineBytes + 1) {
      this.#discarding = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // A copy, so that a kept fragment does not pin the whole 64 KiB chunk it came in.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
    this.#peakBufferedBytes = Math.max(this.#peakBufferedBytes, this.#pendingBytes);
  }

  #endLine(): void {
    const discarded = this.#discarding;
    let line = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = false;
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
    if (discarded || line.length > this.#maxLineBytes) {
      this.#droppedLines += 1;
      return;
    }
    this.#onLine(line.toString("utf8"));
  }
}
