// The experiments as a library, without a device: the data layer's parsers and two-feature
// builders, the toy, the runner's training loop, probes, metrics, charts and report
// aggregation. The entries add the engine and its `init`: experiments/browser.ts
// (navigator.gpu) and experiments/index.node.ts (Dawn, plus the readers that need files).
export * as data from './data/index.ts';
export * as metrics from './metrics.ts';
export * as charts from './svg.ts';
export * as probes from './probe/probe.ts';
export * as featureProbes from './probe/feature-probes.ts';
export * as runner from './runner/train.ts';
export * as runConfig from './runner/config.ts';
export * as presets from './runner/presets.ts';
export * as sweep from './runner/sweep.ts';
export * as checkpoint from './runner/checkpoint.ts';
export * as aggregate from './report/aggregate.ts';
export * as paperReference from './report/paper-reference.ts';
export * as toyConfig from './toy/config.ts';
export * as toyData from './toy/data.ts';
export * as toyModel from './toy/model.ts';
export * as toyTrain from './toy/train.ts';
export * as toySummary from './toy/summary.ts';
export * as toyReport from './toy/report.ts';
// the methods against simplicity bias, and the probes beyond the linear one
export * as dfr from './methods/dfr.ts';
export * as groupDro from './methods/group-dro.ts';
export * as jtt from './methods/upsample.ts';
export * as spectralDecoupling from './methods/spectral-decoupling.ts';
export * as useful from './methods/useful.ts';
export * as methodConfig from './methods/config.ts';
export * as l1Probe from './probe/l1.ts';
export * as featureRank from './probe/feature-rank.ts';
// the studies (plans and their analyses; running them needs the Node entry's sweep)
export * as studies from './studies/index.ts';
