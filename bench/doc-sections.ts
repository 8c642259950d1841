/**
 * docs/benchmarks.md is written by more than one bench: each owns one section,
 * fenced by HTML comments, and rewrites only that.
 */

const begin = (name: string): string => `<!-- section:${name} -->`;
const end = (name: string): string => `<!-- /section:${name} -->`;

/** `doc` with section `name` set to `body`: replaced in place, or appended when absent. */
export function replaceSection(doc: string, name: string, body: string): string {
  const fenced = `${begin(name)}\n${body.trimEnd()}\n${end(name)}`;
  const from = doc.indexOf(begin(name));
  const to = doc.indexOf(end(name));
  if (from === -1 || to === -1 || to < from) return `${doc.trimEnd()}\n\n${fenced}\n`;
  return doc.slice(0, from) + fenced + doc.slice(to + end(name).length);
}

/** Every fenced section of `doc`, verbatim, fences included: what a rewrite of the unfenced rest must keep. */
export function fencedSections(doc: string): string[] {
  const pattern = /<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->/g;
  return [...doc.matchAll(pattern)].map((m) => m[0]);
}
