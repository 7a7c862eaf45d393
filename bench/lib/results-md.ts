import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** What every results section opens with. */
export interface RunHeader {
  readonly command: string;
  readonly date: string;
  readonly commit: string;
  readonly machine: string;
  /** The run's wall time, when known. */
  readonly seconds?: number;
}

/** The lines every results section opens with: command, date, commit, machine. */
export function runHeader(m: RunHeader): string {
  const date = m.seconds === undefined ? m.date : `${m.date} (${m.seconds} s)`;
  return [`Command: \`${m.command}\`  `, `Date: ${date}  `, `Commit: ${m.commit}  `, `Machine: ${m.machine}`].join('\n');
}

/** Renders a GitHub markdown table. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces the `## <name>` section of a markdown file (up to the next `## `
 * heading) with `body`, keeping every other section; appends the section
 * when absent and creates the file when missing.
 */
export function updateSection(file: string, name: string, body: string): void {
  const heading = `## ${name}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  const section = [heading, '', body.trimEnd(), ''];
  if (start < 0) {
    const trimmed = text.trimEnd();
    writeFileSync(file, `${trimmed}\n\n${section.join('\n')}`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const next = [...lines.slice(0, start), ...section, ...lines.slice(end)];
  writeFileSync(file, next.join('\n').trimEnd() + '\n');
}
