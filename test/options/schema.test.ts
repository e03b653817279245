/**
 * Option schemas: one rule per option for the CLI's text and the library's values, messages that name the
 * option as each front end does, defaults filled at the boundary, help and command lines written from them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError, libraryNames, NapError, option } from '../../src/errors.js';
import {
  choice,
  libraryOption,
  list,
  OptionSchema,
  realNumber,
  repeatedOption,
  scaledOption,
  switchedChoice,
  switchOption,
  text,
  valueOption,
  wholeNumber,
} from '../../src/options/schema.js';

interface Example {
  name?: string;
  limit?: number;
  share?: number;
  shape?: number[];
  mean?: number[];
  mode?: 'leaf' | 'eom';
  layers?: string[];
  quiet?: boolean;
  onBad?: 'skip' | 'fail';
  cacheBytes?: number;
  nested?: { size?: number };
  secret?: number;
}

const schema = new OptionSchema<Example>('example', {
  name: valueOption(text({ example: 'run' }), { flag: 'name', help: 'a name', required: true }),
  limit: valueOption(wholeNumber({ example: 5, min: 1 }), { flag: 'limit', help: 'at most N', default: 10 }),
  share: valueOption(realNumber({ example: 0.1, min: 0, max: 1 }), { flag: 'share', help: 'a share' }),
  shape: valueOption(list(wholeNumber({ example: 1, min: 1 }), { example: [80, 4], length: 2 }), {
    flag: 'shape',
    help: 'N,D',
  }),
  mean: valueOption(list(realNumber({ example: 0.5 }), { example: [0.5, 0.5] }), { flag: 'mean', help: 'means' }),
  mode: valueOption(choice(['leaf', 'eom'] as const), { flag: 'selection', help: 'mode', default: 'leaf' }),
  layers: repeatedOption(text({ example: 'conv1' }), { flag: 'layer', help: 'a layer' }),
  quiet: switchOption({ flag: 'quiet', help: 'no output' }),
  onBad: switchedChoice({ off: 'skip', on: 'fail' }, { flag: 'fail-on-bad', help: 'stop', default: 'skip' }),
  cacheBytes: scaledOption(wholeNumber({ example: 2 ** 20, min: 0 }), wholeNumber({ example: 1 }), 2 ** 20, {
    flag: 'cache-mb',
    help: 'megabytes',
  }),
  'nested.size': valueOption(wholeNumber({ example: 3, min: 2 }), { flag: 'size', help: 'a nested one', default: 5 }),
  secret: libraryOption(wholeNumber({ example: 1 }), { help: 'library only', default: 7 }),
});

/** `fromCli` as the CLI runs it: errors name the flags. */
function cli(values: Record<string, string | boolean | string[]>): Partial<Example> {
  try {
    return schema.fromCli(values);
  } catch (error) {
    throw error instanceof NapError ? error.namedBy(schema.cliNames) : error;
  }
}

function refused(run: () => unknown, message: RegExp, hint?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, message);
    if (hint !== undefined) assert.equal(error.hint, hint);
    return true;
  });
}

describe('option schemas', () => {
  it('read CLI text into the library options, nested where the key says, and scaled units', () => {
    assert.deepEqual(
      cli({
        name: 'r',
        limit: ' 42 ',
        share: '0.25',
        shape: '1, 3',
        mean: '0.5, -1,2e-1',
        selection: 'eom',
        layer: ['a', 'b'],
        quiet: true,
        'fail-on-bad': true,
        'cache-mb': '3',
        size: '4',
      }),
      {
        name: 'r',
        limit: 42,
        share: 0.25,
        shape: [1, 3],
        mean: [0.5, -1, 0.2],
        mode: 'eom',
        layers: ['a', 'b'],
        quiet: true,
        onBad: 'fail',
        cacheBytes: 3 * 2 ** 20,
        nested: { size: 4 },
      },
    );
    assert.deepEqual(cli({}), {}, 'options not given stay out: the library fills the defaults');
  });

  it('refuse bad CLI text naming the flag, with an example in the hint', () => {
    for (const text of ['2.5', '1e3', '', 'ten', '0x10', '9007199254740993', '0']) {
      refused(
        () => cli({ limit: text }),
        new RegExp(`^--limit '${text}' is not a whole number >= 1`),
        'write it like --limit 5',
      );
    }
    refused(() => cli({ share: 'Infinity' }), /--share 'Infinity' is not a number in \[0, 1\]/);
    refused(() => cli({ share: '-0.5' }), /--share '-0.5' is not a number in \[0, 1\]/);
    refused(() => cli({ mean: '0.5,,1' }), /--mean '0.5,,1' is not a list of numbers/);
    refused(() => cli({ shape: '80' }), /--shape '80' is not 2 whole numbers >= 1/, 'write it like --shape 80,4');
    refused(() => cli({ shape: '80x4' }), /--shape '80x4'/);
    refused(
      () => cli({ selection: 'EOM' }),
      /--selection 'EOM' is not one of leaf, eom/,
      'write it like --selection leaf',
    );
    refused(() => cli({ layer: ['a', ' '] }), /--layer ' ' is not non-empty text/);
    refused(() => cli({ size: '1' }), /--size '1' is not a whole number >= 2/);
  });

  it('check library values with the same rules, naming the option as the library does', () => {
    refused(() => schema.check({ limit: 0 }), /^limit 0 is not a whole number >= 1/, 'write it like limit: 5');
    refused(() => schema.check({ nested: { size: 1 } }), /^nested\.size 1 is not a whole number >= 2/);
    refused(() => schema.check({ mode: 'best' as 'leaf' }), /^mode 'best' is not one of leaf, eom/);
    refused(() => schema.check({ layers: [] }), /^layers \[\] is not a list/);
    refused(() => schema.check({ share: NaN }), /^share NaN is not a number in \[0, 1\]/);
    refused(() => schema.check({ secret: -1 }), /^secret -1 is not a whole number >= 0/);
    schema.check({ name: 'x', limit: 3, nested: { size: 2 }, mode: 'eom' });
  });

  it('resolve: required options present, defaults filled, nested ones too, and the input left as it was', () => {
    refused(() => schema.resolve({}), /^name is required/, "give it, e.g. name: 'run'");
    const given: Example = { name: 'x', nested: {} };
    assert.deepEqual(schema.resolve(given), {
      name: 'x',
      limit: 10,
      mode: 'leaf',
      onBad: 'skip',
      nested: { size: 5 },
      secret: 7,
    });
    assert.deepEqual(given, { name: 'x', nested: {} });
  });

  it('a message names an option as the library and as the CLI', () => {
    const error = new InputError(`${option('nested.size')} is too small`, {
      hint: `raise ${option('nested.size', 4)}, or set ${option('onBad', 'skip')}`,
    });
    assert.equal(error.message, "nested.size is too small\n  raise nested.size: 4, or set onBad: 'skip'");
    assert.equal(error.hint, "raise nested.size: 4, or set onBad: 'skip'");
    const named = error.namedBy(schema.cliNames);
    assert.ok(named instanceof InputError);
    assert.equal(named.message, '--size is too small\n  raise --size 4, or set no --fail-on-bad');
    assert.equal(named.hint, 'raise --size 4, or set no --fail-on-bad');
    assert.equal(named.cause, error.cause);
    assert.equal(
      new InputError(`${option('elsewhere')} and ${option('secret', 2)}`).namedBy(schema.cliNames).message,
      'elsewhere and secret: 2',
      'options this command has no flag for keep their library names',
    );
    assert.equal(libraryNames('limit', 3), 'limit: 3');
  });

  it('write the CLI words that give options, leaving out what a switch left out gives', () => {
    const options: Example = {
      name: 'r',
      limit: 3,
      shape: [2, 4],
      layers: ['a', 'b'],
      quiet: true,
      onBad: 'fail',
      cacheBytes: 2 ** 21,
      nested: { size: 3 },
      secret: 1,
    };
    const words = schema.toCli(options);
    assert.deepEqual(words, [
      '--name',
      'r',
      '--limit',
      '3',
      '--shape',
      '2,4',
      '--layer',
      'a',
      '--layer',
      'b',
      '--quiet',
      '--fail-on-bad',
      '--cache-mb',
      '2',
      '--size',
      '3',
    ]);
    assert.deepEqual(schema.toCli({ onBad: 'skip', quiet: false }), []);
  });

  it('write the help from the options: usage, text and default, library-only options left out', () => {
    const help = schema.help();
    assert.match(help, /^ {2}--name NAME +a name$/m);
    assert.match(help, /^ {2}--limit N +at most N \(default 10\)$/m);
    assert.match(help, /^ {2}--selection leaf\|eom +mode \(default leaf\)$/m);
    assert.match(help, /^ {2}--fail-on-bad +stop$/m);
    assert.doesNotMatch(help, /library only/);
  });
});
