import * as fs from 'fs';
import * as path from 'path';

/** ../shared beside the checkout: present in CI, absent on a user's fresh clone. */
export const SHARED_DIR = path.resolve(__dirname, '../../../shared');

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

export function hasShared(...parts: string[]): boolean {
  return fs.existsSync(sharedPath(...parts));
}

/** `describe` when the shared file exists, `describe.skip` otherwise (so a fresh clone skips cleanly). */
export function describeIfShared(...parts: string[]): jest.Describe {
  return hasShared(...parts) ? describe : describe.skip;
}

export function readSharedJson(...parts: string[]): any {
  return JSON.parse(fs.readFileSync(sharedPath(...parts), 'utf8'));
}
