/**
 * Progress in a log (stderr not a terminal): one line per stage when it ends, with its count and time, at
 * most one line per interval during a long stage, nested and repeated stages each ended once. On a
 * terminal: one redrawn line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReporter } from '../../src/cli/progress-reporter.js';

/** A stream that keeps what is written; `isTTY` as given. */
function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const parts: string[] = [];
  const stream = {
    isTTY,
    write: (chunk: string) => {
      parts.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => parts.join('') };
}

test('a log gets one line per stage, not a 0% and a 100% line per step', () => {
  let clock = 0;
  const { stream, text } = sink(false);
  const reporter = createReporter(stream, { now: () => clock, intervalMs: 5000 });
  reporter.progress({ stage: 'resuming run 3', done: 0, total: 0 });
  for (const layer of ['conv1', 'fc']) {
    for (const step of ['core distances', 'tree']) {
      for (let done = 0; done <= 4; done++) {
        reporter.progress({ stage: `${layer}: ${step}`, done, total: 4 });
        clock += 100;
      }
    }
  }
  for (let layer = 0; layer < 3; layer++) {
    reporter.progress({ stage: 'neighbours', done: layer, total: 3 });
    reporter.progress({ stage: 'one layer', done: 0, total: 1 });
    clock += 250;
    reporter.progress({ stage: 'one layer', done: 1, total: 1 });
    reporter.progress({ stage: 'one layer', done: 1, total: 1 });
  }
  reporter.progress({ stage: 'neighbours', done: 3, total: 3 });
  reporter.done();
  assert.equal(
    text(),
    [
      'resuming run 3',
      'conv1: core distances: 4/4 in 0.4s',
      'conv1: tree: 4/4 in 0.4s',
      'fc: core distances: 4/4 in 0.4s',
      'fc: tree: 4/4 in 0.4s',
      'one layer: 1/1 in 0.3s',
      'one layer: 1/1 in 0.3s',
      'one layer: 1/1 in 0.3s',
      'neighbours: 3/3 in 0.8s',
      '',
    ].join('\n'),
  );
});

test('a long stage prints at most one line per interval, then its end', () => {
  let clock = 0;
  const { stream, text } = sink(false);
  const reporter = createReporter(stream, { now: () => clock, intervalMs: 5000 });
  for (let done = 0; done <= 1000; done++) {
    reporter.progress({ stage: 'extracting activations', done, total: 1000 });
    clock += 20; // 20 s in all
  }
  const lines = text().trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => line.replace(/ \(.*$/, '')),
    [
      'extracting activations 250/1000',
      'extracting activations 500/1000',
      'extracting activations 750/1000',
      'extracting activations: 1000/1000 in 20s',
    ],
  );
  assert.match(lines[0]!, /\(25%\) 50\/s ETA 15s$/);
});

test('quiet prints nothing; a terminal gets one redrawn line', () => {
  const quiet = sink(false);
  const silent = createReporter(quiet.stream, { quiet: true });
  silent.progress({ stage: 'x', done: 1, total: 1 });
  silent.info('hello');
  assert.equal(quiet.text(), '');
  let clock = 0;
  const terminal = sink(true);
  const reporter = createReporter(terminal.stream, { now: () => clock });
  for (let done = 0; done <= 10; done++) {
    reporter.progress({ stage: 'x', done, total: 10 });
    clock += 50;
  }
  reporter.done();
  assert.doesNotMatch(terminal.text(), /\n/, 'redrawn in place, never a new line');
  assert.ok(terminal.text().includes(`\r\u001b[2K[${'#'.repeat(24)}] x 10/10 (100%)`), terminal.text());
});

test('on a terminal, two stages that advance at once each keep their own rate', () => {
  let clock = 0;
  const { stream, text } = sink(true);
  const reporter = createReporter(stream, { now: () => clock });
  // The maps (10 per second) and a layer's clustering (1 per second) report in turns.
  for (let second = 1; second <= 4; second++) {
    clock = second * 1000;
    reporter.progress({ stage: 'map conv1', done: 10 * second, total: 100 });
    clock += 200;
    reporter.progress({ stage: 'conv1: tree', done: second, total: 10 });
  }
  const lines = text()
    .split('\r\x1b[2K')
    .filter((line) => line !== '');
  // First seen at 1.0 s and 1.2 s: at 4 s and 4.2 s each has run 3 s and reports its own rate.
  assert.match(lines.at(-2)!, /map conv1 40\/100 \(40%\) 13\/s ETA 4\.5s$/);
  assert.match(lines.at(-1)!, /conv1: tree 4\/10 \(40%\) 1\.3\/s ETA 4\.5s$/);
});
