// Kernel variants and their tuning: what ops consult (choices), the variant tables, timing,
// stores and the tuner. See docs/ARCHITECTURE.md, "Variants and tuning".
export {
  chooseVariant, currentChoices, pinChoices, unpinChoices, forceVariant, setTuneMode, tuneState, choiceId,
  type KernelChoices, type TuneMode, type ChoiceSite,
} from './choices.ts';
export { autotune, attachTuneStore, planSites, tuneSites, tuneModeOf, tuneStoreLocation, storedEntries, type TuneOptions, type TuneRow } from './tuner.ts';
export { memoryStore, localStorageStore, KERNELS_HASH, type TuneStore, type TuneEntry, type TuneFile } from './store.ts';
export { timingMethod, timeDispatches, recordDispatches, replayDispatches, timeWork, type TimingMethod } from './timing.ts';
export { FAMILIES, type TunableFamily } from './families.ts';
export { MATMUL_VARIANTS, matmulVariant, defaultMatmulVariant, matmulCandidates, matmulKey, type MatmulShape } from './variants/matmul.ts';
export { CONV2D_VARIANTS, CONV2D_FAMILIES, conv2dVariant, defaultConv2dVariant, conv2dCandidates, conv2dKey, type Conv2dFamily } from './variants/conv2d.ts';
export { adapterFacts, type AdapterFacts } from './variants/adapter.ts';
