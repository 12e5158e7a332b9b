// Data-layer types shared by the readers, the two-feature builders and the batch iterator.
// Pure (no Node APIs), so browsers can reuse everything that does not touch the file system.
import { SamgpuError } from '../../engine/device/errors.ts';
import type { AugmentSource } from './augment.ts';

/** A malformed or missing input: the message names the reader, the file and the line or record. */
export class DataError extends SamgpuError {
  override name = 'DataError';
}

/** Throw `reader: file[ where]: msg`, e.g. `CelebA: list_attr_celeba.txt line 5: expected 41 fields, got 39`. */
export function dataError(reader: string, file: string, msg: string, where?: string): never {
  throw new DataError(`${reader}: ${file}${where ? ` ${where}` : ''}: ${msg}`);
}

/** [channels, height, width] of one image. */
export type ImageShape = [c: number, h: number, w: number];

export function imageSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/** Images with a task label. `images` holds n·C·H·W float32 values (NCHW, contiguous). */
export interface LabeledImages {
  n: number;
  shape: ImageShape;
  images: Float32Array;
  /** The task label (what the network is trained on). */
  y: Int32Array;
  /** Augmented training splits: the 8-bit sources the GPU augments each batch from (`images` is then empty). */
  augment?: AugmentSource;
  /** Further per-example integer labels (easy, hard, group, domain…), uploaded by the batch iterator too. */
  [label: string]: unknown;
}

export type SplitName = 'train' | 'val' | 'test';

/** One split of a two-feature dataset. */
export interface TwoFeatureSplit extends LabeledImages {
  split: SplitName;
  /** Label of the easy feature, 0..easyClasses−1. */
  easy: Int32Array;
  /** Label of the hard feature, 0..hardClasses−1. */
  hard: Int32Array;
  /** easy · hardClasses + hard. */
  group: Int32Array;
  /** True when the two labels are independent and every (easy, hard) combination is equally represented. */
  decorrelated: boolean;
  /**
   * Datasets with `annotated` features: every feature's label, in `annotated` order (easy and hard
   * are the first and the last of them). `group` then indexes the tuple of all of them (mixed
   * radix, the first feature most significant), so balancing by group balances every combination.
   */
  featureLabels?: Int32Array[];
}

export interface FeatureInfo {
  /** What the feature is, e.g. 'MNIST digit' or 'Male'. */
  name: string;
  /** Class names, index = label. */
  classes: string[];
}

/** One of the annotated features of a dataset that lists them all (more than two, or where each lives). */
export interface AnnotatedFeature extends FeatureInfo {
  /** Short id used in configs and results: 'linear', 'slab5', 'mnist', 'grating'. */
  id: string;
  /** Vector datasets: the input coordinates [start, end) that carry it (a branch net gives each its own branch). */
  coordinates?: [number, number];
  /** Image datasets: where its block sits in the image, in pixels. */
  cell?: { top: number; left: number; height: number; width: number };
}

/**
 * A dataset whose examples each carry two annotated features, one easy and one hard to learn.
 * `task` says which of them `y` is (in a fully correlated train split both agree anyway).
 */
export interface TwoFeatureDataset {
  name: string;
  shape: ImageShape;
  task: 'easy' | 'hard';
  features: { easy: FeatureInfo; hard: FeatureInfo };
  splits: Record<SplitName, TwoFeatureSplit>;
  /** Row ranges [start, end) of the easy and hard blocks in stacked (synthetic) images. */
  blocks?: { easy: [number, number]; hard: [number, number] };
  /**
   * Every annotated feature, when the dataset has more than two (LMS, collages) or says where each
   * lives in the input (vector datasets): `features.easy` is the first, `features.hard` the last,
   * and each split carries all their labels (`featureLabels`). The probes fit one per feature.
   */
  annotated?: AnnotatedFeature[];
  /** The configuration it was built with (sizes as built, correlation, seed, sources), for reports. */
  config: Record<string, unknown>;
  /**
   * One label, not two: easy and hard are the same label (DomainBed: the class), so there is one
   * probe to report (its accuracy on the target domain is the paper's transfer measure) and the
   * groups are the classes (worst group = worst class).
   */
  singleLabel?: boolean;
  /**
   * Where the feature probes are fit and tested when not on (val, test): DomainBed probes the
   * target domain (fit on its first part, test on its holdout) while val is the source holdout.
   */
  probeSplits?: { fit: TwoFeatureSplit; test: TwoFeatureSplit };
}

/** Source-domain data to train on and target-domain data to probe (DomainBed's transfer protocol). */
export interface DomainSplit extends LabeledImages {
  /** Index into `domains` of each example. */
  domain: Int32Array;
}

export interface DomainBedData {
  name: string;
  shape: ImageShape;
  domains: string[];
  classes: string[];
  testDomain: string;
  /** Source domains: each domain's holdout fraction goes to val (DomainBed's `out` split). */
  source: { train: DomainSplit; val: DomainSplit };
  /** Target domain, split the same way: fit the probe on `train`, report on `test`. */
  target: { train: DomainSplit; test: DomainSplit };
  config: Record<string, unknown>;
}
