import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './cli-process.js';
test('cli`…`: words split at whitespace, each ${value} one argument or part of the word it touches', () => {
  const dir = '/tmp/a b';
  assert.deepEqual(cli`benchmark online --endpoints ${'http://x'} --report-dir ${dir} --n=${3}`, [
    'benchmark',
    'online',
    '--endpoints',
    'http://x',
    '--report-dir',
    '/tmp/a b',
    '--n=3',
  ]);
  assert.deepEqual(
    cli`
    a ${''} b${1}c
  `,
    ['a', '', 'b1c'],
  );
  assert.deepEqual(cli`${'x'}${'y'} z`, ['xy', 'z']);
});
