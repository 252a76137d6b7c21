import { ReplayControl } from './controls';
import { UsageError } from './event-source';
import { readTemplates } from './template-reader';

/** What `replay` and `sql` evaluate, and what reading it noticed. */
export interface ControlsSource {
  readonly controls: ReplayControl[];
  readonly warnings: string[];
}

/**
 * The metrics of `--template` (a synthesized app) or `--benchmark` (what a
 * default `CisMonitoring` of a version deploys): the one place the commands
 * that read metric filters choose between them.
 * @throws UsageError when neither or both are given, or the source cannot be read
 */
export function loadControls(options: { readonly template?: string; readonly benchmark?: string }): ControlsSource {
  if (options.template !== undefined && options.benchmark !== undefined) {
    throw new UsageError('--template and --benchmark are mutually exclusive: give one (the template\'s metric filters and alarms, or a CIS version\'s default patterns).');
  }
  if (options.template === undefined && options.benchmark === undefined) {
    throw new UsageError('give --template <file|cdk.out> (your synthesized stack) or --benchmark <version> (e.g. --benchmark 7.0.0).');
  }
  if (options.template !== undefined) return readTemplates(options.template);
  // Loaded only for --benchmark: the plan needs aws-cdk-lib, --template does not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { benchmarkControls } = require('./benchmark-controls') as typeof import('./benchmark-controls');
  return { controls: benchmarkControls(options.benchmark!), warnings: [] };
}
