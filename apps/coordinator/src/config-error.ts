/**
 * A problem with the user's input (a config file, a flag) rather than with
 * bayestune: the CLI prints its message alone, without a stack, and exits 2.
 */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigError";
  }
}
