import * as fs from 'fs';
import * as path from 'path';

/**
 * The version in the package's package.json. The sources (src/cli/), the
 * compiled tree (lib/cli/) and the CLI bundle (lib/bin/) all sit two levels
 * below the package root.
 */
export function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}
