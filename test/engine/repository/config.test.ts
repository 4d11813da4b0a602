// Config version 2 (FORMAT.md, "The config"): new repositories are version 2
// with the real chunker, zstd and no encryption; a reader refuses a chunker,
// compression or encryption it does not know; version 1 configs still open.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  chunkerConfig,
  chunkerOf,
  compressionOf,
  encodeConfig,
  newConfig,
  parseConfig,
  type RepositoryConfig,
} from '../../../source/engine/repository/config.js';
import {V1_COMPRESSION} from '../../../source/engine/repository/blob.js';
import {CHUNKER, FIRST_CHUNKER} from '../../../source/engine/repository/chunker.js';

const ID = '0123456789abcdef0123456789abcdef' as never;
const parse = (c: unknown) => parseConfig(Buffer.from(JSON.stringify(c)), '/repo');

test('a new config is version 2: chunker as the code cuts, zstd level 3, no encryption; stored with a trailing newline', () => {
  const c = newConfig(ID);
  assert.equal(c.version, 2);
  assert.deepEqual(c.chunker, {
    algorithm: 'fastcdc-gear-v1',
    min: 131072,
    avg: 262144,
    max: 4194304,
    gearSeed: '0x9e3779b9',
    maskSmall: '0xffffc000',
    maskLarge: '0xffff8000',
  });
  assert.equal(chunkerOf(c), CHUNKER);
  assert.deepEqual(c.compression, {algorithm: 'zstd', level: 3});
  assert.equal(c.encryption, null);
  const bytes = encodeConfig(c);
  assert.equal(bytes.at(-1), 10);
  assert.deepEqual(parseConfig(bytes, '/repo'), c);
  assert.deepEqual(compressionOf(c), {algorithm: 'zstd', level: 3});
  assert.deepEqual(compressionOf(newConfig(ID, {level: 9})), {algorithm: 'zstd', level: 9});
});

test('a version 1 config opens and is written to with version 1 encodings', () => {
  const v1 = {
    format: 'backhaul-repository',
    version: 1,
    id: ID,
    createdAt: '2026-01-01T00:00:00Z',
    hash: 'sha256',
    chunker: {algorithm: 'fastcdc-gear-v1', min: 262144, avg: 1048576, max: 4194304},
  };
  assert.deepEqual(compressionOf(parse(v1)), V1_COMPRESSION);
  assert.equal(chunkerOf(parse(v1)), FIRST_CHUNKER);
});

test('a version 2 config naming the first chunker parameter set opens, and its writers cut with that set', () => {
  const older = {...newConfig(ID), chunker: chunkerConfig(FIRST_CHUNKER)};
  assert.deepEqual(older.chunker, {
    algorithm: 'fastcdc-gear-v1',
    min: 262144,
    avg: 1048576,
    max: 4194304,
    gearSeed: '0x9e3779b9',
    maskSmall: '0xfff80000',
    maskLarge: '0xff800000',
  });
  assert.equal(chunkerOf(parse(older)), FIRST_CHUNKER);
});

test('what a version 2 reader does not know is refused (format, exit 17), never guessed', () => {
  const good = newConfig(ID);
  const bad: [string, Partial<RepositoryConfig> | Record<string, unknown>][] = [
    ['another chunker', {chunker: {...good.chunker, algorithm: 'rabin' as never}}],
    ['other chunk sizes', {chunker: {...good.chunker, avg: 2097152}}],
    ['another mask', {chunker: {...good.chunker, maskSmall: '0xffff8000'}}],
    ['the two sets mixed', {chunker: {...good.chunker, maskSmall: '0xfff80000'}}],
    [
      'the first set without its masks',
      {chunker: {algorithm: 'fastcdc-gear-v1', min: 262144, avg: 1048576, max: 4194304}},
    ],
    ['no compression', {compression: undefined}],
    ['another compression', {compression: {algorithm: 'lz4' as never, level: 1}}],
    ['a level zstd does not have', {compression: {algorithm: 'zstd', level: 40}}],
    ['an unknown cipher', {encryption: {keyDerivation: 'scrypt', cipher: 'rot13' as never}}],
    ['encryption missing', {encryption: undefined}],
    ['version 3', {version: 3 as never}],
  ];
  for (const [name, change] of bad) {
    assert.throws(
      () => parse({...good, ...change}),
      (e: {code?: string; exitCode?: number}) => e.code === 'format',
      name,
    );
  }
});
