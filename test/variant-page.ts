// The test matrix in a browser page (bundled by test/variants.test.ts): runs the variant checks
// of test/variant-checks.ts on the page's WebGPU adapter and reports the failures.
import { initWith } from '../engine/index.ts';
import { adapterFacts } from '../engine/tune/variants/adapter.ts';
import { MATMUL_VARIANTS } from '../engine/tune/variants/matmul.ts';
import { CONV2D_FAMILIES, CONV2D_VARIANTS } from '../engine/tune/variants/conv2d.ts';
import { checkBatchNorm, checkConv, checkMatmul, COMBOS, CONV_CASES } from './variant-checks.ts';
import { BATCHNORM_FAMILIES, BATCHNORM_VARIANTS } from '../engine/tune/variants/rows.ts';

interface Plan {
  full: boolean;
  matmul: string[] | null;
  conv: string[] | null;
}

async function runMatrix(plan: Plan) {
  const rt = await initWith(navigator.gpu);
  const f = adapterFacts(rt);
  // Only what runs on any subgroup size: the 8-lane kernels need exactly 8.
  const agnostic = (id: string) => !id.startsWith('subgroup8');
  const matmul = (plan.matmul ?? MATMUL_VARIANTS.map((v) => v.id)).filter((id) => agnostic(id) && MATMUL_VARIANTS.find((v) => v.id === id.split('+')[0])!.fits(f));
  const conv = (plan.conv ?? CONV2D_VARIANTS.map((v) => v.id)).filter((id) => agnostic(id) && CONV2D_VARIANTS.find((v) => v.id === id.split('+')[0])!.fits(f));
  const failures: string[] = [];
  const ran: string[] = [];
  for (const [i, id] of matmul.entries()) {
    failures.push(...(await checkMatmul(rt, id, plan.full ? COMBOS : [COMBOS[i % 4]], ['odd', 'aligned'])));
    ran.push(`matmul ${id}`);
  }
  for (const id of conv) {
    for (const family of CONV2D_FAMILIES) {
      failures.push(...(await checkConv(rt, family, id, plan.full ? CONV_CASES : CONV_CASES.slice(0, 1), family === 'conv2d.forward')));
      ran.push(`${family} ${id}`);
    }
  }
  // batch norm's subgroup reductions depend on the subgroup size too
  for (const v of BATCHNORM_VARIANTS.filter((x) => x.config.subgroup && x.fits(f))) {
    for (const family of BATCHNORM_FAMILIES) {
      failures.push(...(await checkBatchNorm(rt, family, v.id)));
      ran.push(`${family} ${v.id}`);
    }
  }
  return { adapter: rt.gpu.describe(), subgroups: f.subgroups ? [f.sgMin, f.sgMax] : null, ran, failures };
}

(window as unknown as { runMatrix: typeof runMatrix }).runMatrix = runMatrix;
