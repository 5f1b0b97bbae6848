import { describe, expect, it } from 'vitest';
import { epochsText } from './model-dir.ts';
import type { EpochReport, TrainParams } from '../train.ts';

const report = (epoch: number, averaged?: number) => ({ epoch, ...(averaged ? { averaged } : {}) }) as EpochReport;

describe('the model card says how many epochs ran and which weights were kept', () => {
  it('counts the weight average as what was kept, not as one more epoch run ("8 epochs max, best epoch 9 … 9 epochs run")', () => {
    const params = { epochs: 8 } as TrainParams;
    const history = [...Array.from({ length: 8 }, (_, i) => report(i + 1)), report(9, 3)];
    expect(epochsText({ params, history, bestEpoch: 9 })).toBe('8 of at most 8 epochs run, kept the weight average of 3 epoch-end snapshots');
    expect(epochsText({ params, history: history.slice(0, 5), bestEpoch: 4 })).toBe('5 of at most 8 epochs run, kept epoch 4');
  });
});
