// How hard a feature is, for studies that order features by it: the steps an SGD model trained on
// that feature alone (the other blocks independent of the label) needs to reach a selection
// accuracy, or, where no such runs exist, SGD's probe error on it. Pure code.
import type { FinalResult } from '../runner/types.ts';
import { featureError } from './compare.ts';
import { runsOf, type Setting } from './settings.ts';
import type { StudyContext } from './study.ts';

/** Selection accuracy (on the feature alone) that counts as "learned". */
export const LEARNED_ACCURACY = 0.9;

/** Steps until selection accuracy first reaches LEARNED_ACCURACY; a run that never does counts its length plus one epoch (censored). */
export function stepsToLearn(r: FinalResult): { steps: number; censored: boolean } {
  const perEpoch = r.metrics[0]?.step ?? 0;
  const hit = r.metrics.find((m) => m.valAcc >= LEARNED_ACCURACY);
  return hit ? { steps: hit.step, censored: false } : { steps: (r.metrics.at(-1)?.step ?? 0) + perEpoch, censored: true };
}

export interface Difficulty {
  /** Per feature, in the setting's order. */
  values: number[];
  by: 'steps alone' | 'SGD probe error';
  /** Per feature: some seeds never learned it alone (values are lower bounds). */
  censored: boolean[];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export function difficulty(ctx: StudyContext, s: Setting): Difficulty {
  const alone = s.features.map((f) => runsOf(ctx, s, `alone-${f.id}`));
  if (alone.every((r) => r.length)) {
    const st = alone.map((runs) => runs.map(stepsToLearn));
    return { values: st.map((x) => mean(x.map((y) => y.steps))), by: 'steps alone', censored: st.map((x) => x.some((y) => y.censored)) };
  }
  const sgd = runsOf(ctx, s, 'sgd');
  return { values: s.features.map((f) => mean(sgd.map(featureError(f.id)).filter(Number.isFinite))), by: 'SGD probe error', censored: s.features.map(() => false) };
}
