// The loss-model flags `generate` and `replay` share, and the Impairments
// they make. Sender behaviour (--pause, --restart-at) stays with generate:
// a replay's sender is the capture.

import { Option } from 'commander';
import type { Impairments } from '../generator/impairments.js';
import { burst, durationMs, gemodel, probability, seqRanges, wholeNumber } from './parse.js';

export interface LossFlags {
  drop?: string;
  burst: string[];
  loss?: string;
  gemodel?: string;
  delay?: string;
  jitter?: string;
  duplicate?: string;
  reorder?: string;
  seed: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Fresh Option objects each call: commander binds an Option to one command. */
export const lossOptions = (): Option[] => [
  new Option('--drop <seqs>', 'never send these sequence numbers, e.g. 100-104,200'),
  new Option('--burst <n@where>', 'lose n in a row from seq:S or a time like 2s (repeatable)').argParser(collect).default([]),
  new Option('--loss <p>', 'independent loss probability (0.01 or 1%)'),
  new Option('--gemodel <p,r,1-h,1-k>', "Gilbert-Elliott burst loss in percent, as netem's gemodel"),
  new Option('--delay <ms>', 'extra delay on every datagram'),
  new Option('--jitter <ms>', '± uniform jitter on every datagram'),
  new Option('--duplicate <p>', 'probability a datagram is sent twice'),
  new Option('--reorder <p>', 'probability a datagram is held back behind the next one'),
  new Option('--seed <n>', 'seed for the random models').default('1'),
];

export function impairmentsFromFlags(f: LossFlags): Impairments {
  const imp: Impairments = { seed: wholeNumber(f.seed, '--seed', 0xffffffff) };
  if (f.drop) imp.drop = seqRanges(f.drop, '--drop');
  if (f.burst.length) imp.bursts = f.burst.map((b) => burst(b, '--burst'));
  if (f.loss) imp.loss = probability(f.loss, '--loss');
  if (f.gemodel) imp.gemodel = gemodel(f.gemodel, '--gemodel');
  if (f.delay) imp.delayMs = durationMs(f.delay, '--delay');
  if (f.jitter) imp.jitterMs = durationMs(f.jitter, '--jitter');
  if (f.duplicate) imp.duplicate = probability(f.duplicate, '--duplicate');
  if (f.reorder) imp.reorder = probability(f.reorder, '--reorder');
  return imp;
}
