// What a run reports and stores: per-epoch metrics, the training position and checkpoint, the
// final result, progress, and the hooks a caller passes to runExperiment. Types only.
import type { OptimizerState } from '../../engine/optim/sgd.ts';
import type { KernelChoices } from '../../engine/tune/choices.ts';
import type { TuneRow } from '../../engine/tune/tuner.ts';
import type { ProbeReport } from '../probe/feature-probes.ts';
import type { FeatureRank } from '../probe/feature-rank.ts';
import type { RunConfig } from './config.ts';
import type { ImportanceEval } from './importance.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import type { DfrResult } from '../methods/dfr.ts';

export interface EpochMetrics {
  epoch: number;
  step: number;
  trainLoss: number;
  trainAcc: number;
  /** Accuracy on the selection split (the validation examples the probes are not fitted on). */
  valAcc: number;
  lr: number;
  /** SAM's ρ at the epoch's last step (below the configured ρ during a warm-up). */
  rho?: number;
  seconds: number;
  /** λ and λ̃ on the fixed evaluation set after this epoch, when measured (config `importance`). */
  importance?: ImportanceEval;
  /** The probes after this epoch (config `probe.every`; the last epoch's are FinalResult.probes). */
  probes?: ProbeReport;
  /** The probed representation's rank after this epoch (config `probe.every` with `probe.rank`). */
  featureRank?: FeatureRank;
}

export const LORENZ_POINTS = 21;

/** Where a run is: enough, with the tensors, to continue it exactly. */
export interface TrainPosition {
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  step: number;
  metrics: EpochMetrics[];
  /** Dropout call counters, in module order. */
  dropoutCalls: number[];
  /** Per-batch losses and accuracies of the unfinished epoch (a mid-epoch stop). */
  partial?: { losses: number[]; accs: number[] };
  /** The probes of the untrained network and λ/λ̃ at initialization, measured before step 1. */
  untrainedProbes?: ProbeReport;
  initialImportance?: ImportanceEval;
}

export interface Checkpoint {
  position: TrainPosition;
  model: Map<string, { shape: number[]; data: Float32Array }>;
  optimizer: OptimizerState;
  /**
   * The kernel variants the run pinned (engine/tune): different kernels round differently, so a
   * resume uses exactly these. Absent in checkpoints written before tuning existed: the
   * built-in defaults, which is what those runs used.
   */
  kernels?: KernelChoices;
  /** SAM's options as the run's optimizer had them (SAM-type runs), checked on resume. */
  sam?: SamState;
  /** A method's optimizer state: group DRO's group weights q. */
  method?: { groupDroQ?: Float32Array };
}

/**
 * What defines SAM's ascent besides the weights and the config's ρ (whose warm-up follows the
 * step): a resumed run must ascend the same way.
 */
export interface SamState {
  eps: number;
  eta: number;
  l2: number;
  adaptive: boolean;
  secondPassBatchNormUpdate: boolean;
  /** Names of the perturbed parameters (LSAM: the last layer's). */
  perturbed: string[];
}

export interface FinalResult {
  config: RunConfig;
  metrics: EpochMetrics[];
  testAcc: number;
  /**
   * In-distribution accuracy: the test split's per-group accuracies weighted by the training
   * split's group frequencies (what accuracy on data distributed like train would be; with a
   * fully correlated train, the accuracy on the test groups where the two features agree).
   */
  inDistAcc: number;
  worstGroupAcc: number;
  groupAcc: Record<string, number>;
  /** The dataset has one label (DomainBed: the class): probes.easy and probes.hard are the same
   * probe, and groups are classes (worstGroupAcc is the worst class's accuracy). */
  singleLabel?: boolean;
  probes: ProbeReport;
  /** The same probes on the same seed's untrained network (config `probe.untrained`). */
  untrainedProbes?: ProbeReport;
  /** λ/λ̃ on the fixed evaluation set at initialization and after the measured epochs. */
  importance: ImportanceEval[];
  /** Rank of the probed representation on the probe test split at the end (config `probe.rank`). */
  featureRank?: FeatureRank;
  /** Method 'dfr': the refit last layer's test numbers (the rest of the result is the trained network's own). */
  dfr?: DfrResult;
  /** Methods 'jtt' and 'useful': what the identification run upsampled. */
  upsampling?: UpsamplingInfo;
  /** Method 'group-dro': the group weights q at the end (training groups in ascending order). */
  groupDro?: { q: number[] };
  seconds: number;
}

export interface UpsamplingInfo {
  method: 'jtt' | 'useful';
  identificationEpochs: number;
  /** Training examples seen `upweight` times an epoch (JTT: misclassified; USEFUL: the higher-loss clusters). */
  upsampled: number;
  upweight: number;
  /** Examples in an epoch of the final run (with the copies). */
  epochExamples: number;
}

/** What a run reports after each step (for progress bars and lines). */
export interface ProgressInfo {
  /** 0-based epoch; `batch` of `batches` done in it; `step` steps done in the whole run. */
  epoch: number;
  batch: number;
  batches: number;
  step: number;
  /** Steps of the whole run (epochs × batches, or the config's `steps`). */
  totalSteps?: number;
  /** Mean training loss of the last finished epoch (1-based `epoch`), null before the first
   * ends: the freshest loss known without reading one back per step, which would make the CPU
   * wait for the GPU every step. */
  lastLoss: { epoch: number; value: number } | null;
}

/** A captured checkpoint's place in the run, for messages. */
export type CheckpointPlace = Pick<TrainPosition, 'epoch' | 'batch' | 'step'>;

export interface RunHooks {
  resume?: Checkpoint;
  /** The bytes of `model.weights` (the Node shell reads the file; browsers fetch it). */
  weights?: Uint8Array;
  /** After each epoch, with a function that captures a checkpoint. */
  onEpoch?: (m: EpochMetrics, checkpoint: () => Promise<Checkpoint>) => Promise<void> | void;
  /** Polled between steps; when true the run checkpoints and stops (Ctrl-C, preemption). */
  shouldStop?: () => boolean;
  onStopped?: (checkpoint: Checkpoint) => Promise<void> | void;
  onProgress?: (p: ProgressInfo) => void;
  /** Builds the model to train (default: `buildModel`, the config's architecture); a library
   * user's own module trains, checkpoints and resumes through the same loop. */
  buildModel?: (cfg: RunConfig, data: TwoFeatureDataset) => Module & { features(x: Tensor): Tensor };
  /** Where the hooks save captured checkpoints, to name in errors (DivergedError). */
  checkpointPath?: string;
  /**
   * After a fresh run tuned the kernels of its step (before its first step): the shape classes
   * timed or found in the cache, and the seconds it took. Not called on resume, nor with the
   * tuner off.
   */
  onTuned?: (rows: TuneRow[], seconds: number) => void;
}

