// The tutorials' own YAML, read from ../shared/tutorials, so tests apply what learners apply.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './process.js';

export function tutorialText(file: string): string {
  return readFileSync(join(repoRoot, '..', 'shared', 'tutorials', file), 'utf8');
}

/** A YAML block of a tutorial: the lines after its file-name caption, up to the first blank line. */
export function tutorialYaml(file: string, caption: string): string {
  const text = tutorialText(file);
  const start = text.indexOf(`${caption}\n\napiVersion:`);
  if (start < 0) throw new Error(`${caption} not found in ${file}`);
  const body = text.slice(start + caption.length + 2);
  return body.slice(0, body.indexOf('\n\n')) + '\n';
}
