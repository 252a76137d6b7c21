import * as fs from 'fs';
import * as path from 'path';
import { describeIf, requires, testIf } from './requirements';

/** ../shared beside the checkout (or CIS_SHARED_DIR): present in CI, absent on a user's fresh clone. */
export const SHARED_DIR = path.resolve(process.env.CIS_SHARED_DIR ?? path.resolve(__dirname, '../../../shared'));

export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}

export function hasShared(...parts: string[]): boolean {
  return fs.existsSync(sharedPath(...parts));
}

/** `describe` when the shared file exists; otherwise skipped, the reason noted for the CI summary (a fresh clone skips cleanly). */
export function describeIfShared(...parts: string[]): (name: string, fn: () => void) => void {
  return describeIf(requires.shared(SHARED_DIR, ...parts));
}

/** `test` when the shared file exists; otherwise skipped, the reason noted for the CI summary. */
export function testIfShared(...parts: string[]): (name: string, fn: jest.ProvidesCallback, timeout?: number) => void {
  return testIf(requires.shared(SHARED_DIR, ...parts));
}

export function readSharedJson(...parts: string[]): any {
  return JSON.parse(fs.readFileSync(sharedPath(...parts), 'utf8'));
}
