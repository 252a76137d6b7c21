/** Runs before every test file (jest setupFilesAfterEnv): every table-driven block is noted for the CI summary (test/support/tables.ts). */
import { recordTables } from './tables';

recordTables();
