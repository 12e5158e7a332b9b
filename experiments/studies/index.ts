// The studies `samgpu study <name>` runs, by name.
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Study } from './study.ts';
import { headline } from './headline.ts';
import { features } from './features.ts';
import { rho } from './rho.ts';
import { counterclaim } from './counterclaim.ts';
import { methods } from './methods.ts';

export const STUDIES: Record<string, Study> = {
  [headline.name]: headline, [features.name]: features, [rho.name]: rho, [methods.name]: methods, [counterclaim.name]: counterclaim,
};

export function studyByName(name: string): Study {
  const s = STUDIES[name];
  if (!s) throw new SamgpuError(`study: no study '${name}' (studies: ${Object.keys(STUDIES).join(', ')})`);
  return s;
}
