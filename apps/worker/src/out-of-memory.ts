/** Lines by which PyTorch, CUDA, Python and C++ runtimes report running out of memory. */
const OUT_OF_MEMORY_PATTERNS: readonly RegExp[] = [
  /CUDA out of memory/,
  /CUDA error: out of memory/,
  /torch\.cuda\.OutOfMemoryError/,
  /torch\.OutOfMemoryError/,
  /\bMemoryError\b/,
  /std::bad_alloc/,
];

// A shell reports a child killed by SIGKILL (most often the kernel's OOM killer) as
// "Killed" (dash) or "bash: line 1:  4242 Killed   python train.py" (bash).
const SHELL_KILLED = /^Killed$|\b\d+ Killed\b/;

/**
 * The stderr line that shows the training process ran out of memory, or undefined.
 * Memory errors are searched from the end; "Killed" counts only as the last line,
 * where a shell prints it when its child dies.
 */
export function findOutOfMemoryLine(stderr: string): string | undefined {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] ?? "";
    if (OUT_OF_MEMORY_PATTERNS.some((pattern) => pattern.test(line))) return line;
  }
  const last = lines.at(-1);
  return last !== undefined && SHELL_KILLED.test(last) ? last : undefined;
}
