/**
 * What a scenario is to the suite: a name, how many times to repeat it, and one run that starts
 * its own fresh server and returns figures keyed as in ./figures.ts. The suite reports the median
 * of each figure over the runs and keeps every run's values in the JSON output.
 */

export interface ScenarioContext {
  /** `--quick`: smaller sizes and fewer runs, the whole suite under 5 minutes on 2 cores. */
  quick: boolean;
  /** Progress to stderr (the table goes to stdout). */
  log(msg: string): void;
}

export interface RunResult {
  figures: Record<string, number>;
  /** Said once in the report (e.g. why a figure was skipped, what the sizes were). */
  notes?: string[];
}

export interface Scenario {
  name: string;
  /** What it measures, one line, for `--help`. */
  description: string;
  /** How many runs (fresh server each). */
  runs(ctx: ScenarioContext): number;
  run(ctx: ScenarioContext, index: number): Promise<RunResult>;
}
