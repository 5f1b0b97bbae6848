/** Paths: the repository root, the shared data directory, and resolving CLI arguments. */
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '@sentiment-edge/registry/node';

export { REPO_ROOT, userPath } from '@sentiment-edge/registry/node';

/** The labelled data (…/shared/data next to the repository), or $SENTIMENT_DATA ($SENTIMENT_DATA_DIR also works). */
export const DATA_DIR = process.env.SENTIMENT_DATA ?? process.env.SENTIMENT_DATA_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'data');

export function dataFile(relative: string): string {
  return join(DATA_DIR, relative);
}
