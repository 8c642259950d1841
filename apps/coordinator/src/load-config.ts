import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { InvalidArgumentError, studyOptionsFromConfig } from "@bayestune/core";
import { formatZodIssues, StudyConfig } from "@bayestune/protocol";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigError } from "./config-error.js";

/**
 * Reads and validates a study config file, YAML (`.yaml`, `.yml`) or JSON.
 * @throws ConfigError naming the file, the path inside it and the problem.
 */
export async function loadStudyConfig(file: string): Promise<StudyConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : String(error);
    throw new ConfigError(`cannot read the config file ${file}: ${why}`, { cause: error });
  }
  const raw = parseConfigText(file, text);
  const parsed = StudyConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatZodIssues(parsed.error, `config file ${file}`), { cause: parsed.error });
  // Known constraints are expressions: compile them now, so a typo fails at start-up with the file named.
  try {
    studyOptionsFromConfig(parsed.data);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new ConfigError(`config file ${file}: knownConstraints: ${error.message.replace(/^bayestune: /, "")}`, { cause: error });
    throw error;
  }
  return parsed.data;
}

function parseConfigText(file: string, text: string): unknown {
  if (extname(file).toLowerCase() === ".json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  // YAML is a superset of JSON, so any other extension is read as YAML.
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0] ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "";
      throw new ConfigError(`config file ${file} is not valid YAML${where}: ${error.message.split("\n")[0]}`, { cause: error });
    }
    throw error;
  }
}
