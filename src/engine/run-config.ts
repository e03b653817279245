/**
 * A run's stored configuration, typed. `nap analyze` stores its resolved options with the layers it analysed
 * and the preprocessing its inputs went through (src/engine/analyze.ts); the store keeps them as JSON, and
 * this module is the one place that reads them back: every option is checked by the analyze option schema,
 * so a value an older version stored that is not valid today reads as absent, never as a wrong type.
 */
import type { Preprocessing } from '../io/datasets/types.js';
import type { RunRecord } from '../io/store/index.js';
import { analyzeCommandLine, ANALYZE_OPTIONS, type AnalyzeOptions } from './config.js';

export interface RunConfig {
  /** The analyze options the run was made with, as far as they were stored and are valid today. */
  options: Partial<AnalyzeOptions>;
  /** How its inputs were fed to the model; null for runs stored without it. */
  preprocessing: Preprocessing | null;
}

function isPreprocessing(value: unknown): value is Preprocessing {
  const p = value as Partial<Record<keyof Preprocessing, unknown>> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.width === 'number' &&
    p.width > 0 &&
    typeof p.height === 'number' &&
    p.height > 0 &&
    (p.channels === 1 || p.channels === 3) &&
    (p.layout === 'NCHW' || p.layout === 'NHWC')
  );
}

export function runConfig(run: RunRecord): RunConfig {
  const stored = run.config as { preprocessing?: unknown } | null;
  return {
    options: ANALYZE_OPTIONS.validPart(stored),
    preprocessing: isPreprocessing(stored?.preprocessing) ? stored.preprocessing : null,
  };
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `nap analyze` command that resumes `run` (stored in `storePath`): the options it was made with,
 * its model by the path it was read from. Null when the run was made with library options the CLI has no
 * flag for (exact input indices, ...): the same `analyze()` call resumes it then.
 */
export function resumeCommand(run: RunRecord, storePath: string): string | null {
  const { options } = runConfig(run);
  for (const [key, field] of Object.entries(ANALYZE_OPTIONS.fields)) {
    const value: unknown = (options as Record<string, unknown>)[key];
    if (field.flag === '' && value !== undefined && JSON.stringify(value) !== JSON.stringify(field.default)) {
      return null;
    }
  }
  if (options.data === undefined) return null;
  const words = analyzeCommandLine({ ...options, model: run.modelPath, data: options.data, out: storePath });
  return words.map(shellWord).join(' ');
}
