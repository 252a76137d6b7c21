/**
 * Runs once before a jest run (jest globalSetup): empties the notes folder
 * (test/support/test-notes.ts) so the CI summary reads this run's notes only.
 */
import * as fs from 'fs';
import { notesDir } from './test-notes';

export default function globalSetup(): void {
  fs.rmSync(notesDir(), { recursive: true, force: true });
}
