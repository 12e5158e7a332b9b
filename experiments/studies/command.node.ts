// What `samgpu study` does: run (or continue) a study, then print its summary and where its page
// and findings are; `samgpu study findings` regenerates docs/FINDINGS.md instead.
import { init } from '../../engine/node.ts';
import { studyByName } from './index.ts';
import { runStudy, studyDir } from './study.node.ts';
import { writeFindingsDoc } from './findings-doc.node.ts';

export interface StudyCommandOptions {
  budget?: string;
  backend?: 'inline' | 'local' | 'slurm';
  jobs?: number;
  results?: string;
  /** The folder holding the real datasets a budget reads. */
  dataDir?: string;
  /** Pretrained weights (a safetensors file) for budgets that start from them. */
  weights?: string;
}

export async function studyCommand(name: string, o: StudyCommandOptions): Promise<number> {
  if (name === 'findings') {
    const r = writeFindingsDoc([o.results ?? 'results']);
    console.log(`${r.path}: ${r.studies} findings file(s) from ${o.results ?? 'results'}`);
    return 0;
  }
  const study = studyByName(name);
  await init();
  const budget = o.budget ?? study.defaultBudget;
  const out = await runStudy(study, { budget, backend: o.backend, jobs: o.jobs, dir: o.results ? studyDir(study, budget, o.results) : undefined, dataDir: o.dataDir, weights: o.weights });
  if (out.status === 'waiting') {
    console.log(out.message);
    return 0;
  }
  console.log(['', ...out.result.summary, '', `findings: ${out.findingsPath}`, `report:   ${out.dir}/report.html`].join('\n'));
  return 0;
}
