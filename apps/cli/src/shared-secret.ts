import { readFile } from "node:fs/promises";
import { checkSecret, SECRET_ENV } from "@bayestune/protocol";
import { ConfigError } from "@bayestune/coordinator";

/**
 * The cluster's shared secret, from `--secret-file` or $BAYESTUNE_SECRET: the
 * coordinator signs its jobs with it and workers run only jobs it signed, so a
 * coordinator or worker without one does not start.
 */
export async function readSharedSecret(command: "coordinator" | "worker", secretFile: string | undefined): Promise<string> {
  let secret: string | undefined;
  if (secretFile !== undefined) {
    try {
      secret = (await readFile(secretFile, "utf8")).trim();
    } catch (error) {
      throw new ConfigError(`cannot read --secret-file ${secretFile}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    secret = process.env[SECRET_ENV];
  }
  if (secret === undefined || secret === "") {
    throw new ConfigError(
      `bayestune ${command} needs the cluster's shared secret (the coordinator signs every job with it, and workers run nothing else): ` +
        `set ${SECRET_ENV} or --secret-file FILE, the same on the coordinator and every worker; make one with \`openssl rand -hex 32\``,
    );
  }
  try {
    checkSecret(secret);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  return secret;
}
