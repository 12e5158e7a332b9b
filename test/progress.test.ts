import assert from 'node:assert/strict';
import { formatDuration, makeProgress, statusText } from '../experiments/runner/progress.node.ts';
import type { ProgressInfo } from '../experiments/runner/train.ts';

describe('run progress', () => {
  it('a plain line has epoch, step, loss, examples/s and ETA', () => {
    const p: ProgressInfo = { epoch: 1, batch: 3, batches: 4, step: 7, lastLoss: { epoch: 1, value: 0.693147 } };
    // 5 steps of 32 in 2 s: 80 ex/s; 3 epochs × 4 batches − 7 = 5 steps left at 2.5 steps/s.
    assert.equal(statusText(p, 3, 32, { steps: 5, seconds: 2 }), 'epoch 2/3 batch 3/4 step 7 loss 0.6931 (epoch 1 mean) 80 ex/s ETA 2s');
    assert.equal(statusText({ ...p, epoch: 0, step: 3, lastLoss: null }, 3, 32, { steps: 0, seconds: 0 }), 'epoch 1/3 batch 3/4 step 3 loss - (after epoch 1) - ex/s ETA -');
    assert.equal(formatDuration(3725), '1h02m');
    assert.equal(formatDuration(65), '1m05s');
  });

  it('after a resume, examples/s counts only the steps of this process', () => {
    // Resumed at step 1000 of 3 × 600: the first step this process reports is 1001.
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const now = performance.now;
    let t = 50_000;
    performance.now = () => t;
    try {
      const progress = makeProgress('run', 3, 32, stream);
      const at = (step: number): ProgressInfo => ({ epoch: Math.floor(step / 600), batch: step % 600, batches: 600, step, lastLoss: { epoch: 1, value: 0.5 } });
      progress.update(at(1001));
      t += 5_000;
      progress.update(at(1026)); // no line yet: one every 10 s
      t += 5_000;
      progress.update(at(1051)); // 50 steps of 32 in 10 s; 749 steps left at 5 steps/s
      assert.deepEqual(lines, ['run epoch 2/3 batch 451/600 step 1051 loss 0.5000 (epoch 1 mean) 160 ex/s ETA 2m30s\n']);
    } finally {
      performance.now = now;
    }
  });
});
