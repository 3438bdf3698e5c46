// The tutorials' own YAML files, kept in test/fixtures/tutorials (each
// file's source is named in that folder's README), so tests apply what
// learners apply and the repository needs nothing beside it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testkit/process.js';

/** The folder of the tutorials' YAML files. */
export const tutorialFixturesDir = join(repoRoot, 'test', 'fixtures', 'tutorials');

/** A tutorial's YAML file, as the tutorial prints it. */
export function tutorialYaml(file: string): string {
  return readFileSync(join(tutorialFixturesDir, file), 'utf8');
}
