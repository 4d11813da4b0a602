import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {
  codecFromParams,
  openCodec,
  PLAIN_CODEC,
  requirePassThrough,
  type ObjectCodec,
} from '../../../source/engine/repository/codec.js';

const other: ObjectCodec = {
  ...PLAIN_CODEC,
  encrypted: true,
  keyIdentity: 'key-a',
  sameKeyAs: c => c.keyIdentity === 'key-a',
};

test('the plain codec stores objects and blobs as they are and names chunks by SHA-256', () => {
  const data = Buffer.from('{"a":1}');
  assert.equal(PLAIN_CODEC.sealObject('backups/x/backup.json', data), data);
  assert.equal(PLAIN_CODEC.openObject('backups/x/backup.json', data), data);
  assert.equal(PLAIN_CODEC.sealBlob(data), data);
  assert.equal(PLAIN_CODEC.openBlob(data, 'here'), data);
  assert.equal(PLAIN_CODEC.chunkId(data), createHash('sha256').update(data).digest('hex'));
  assert.equal(PLAIN_CODEC.encrypted, false);
});

test('plain codecs share key material with each other, not with an encrypted one', () => {
  assert.ok(PLAIN_CODEC.sameKeyAs(codecFromParams(PLAIN_CODEC.params())));
  assert.ok(!PLAIN_CODEC.sameKeyAs(other));
  assert.doesNotThrow(() =>
    requirePassThrough({codec: PLAIN_CODEC, location: 'a'}, {codec: PLAIN_CODEC, location: 'b'}),
  );
  assert.throws(() => requirePassThrough({codec: PLAIN_CODEC, location: 'a'}, {codec: other, location: 'b'}), {
    code: 'usage',
  });
});

test('a config without encryption opens with the plain codec; an encrypted one needs a password; an unknown one is refused', async () => {
  const storage = {location: '/r'} as never;
  assert.equal(await openCodec(null, storage), PLAIN_CODEC);
  assert.equal(await openCodec(undefined, storage), PLAIN_CODEC);
  await assert.rejects(openCodec({keyDerivation: 'scrypt', cipher: 'aes-256-gcm'}, storage), {code: 'usage'});
  await assert.rejects(
    openCodec({keyDerivation: 'argon2', cipher: 'aes-256-gcm'} as never, storage, {password: async () => 'x'}),
    {code: 'format'},
  );
  // Opening an encrypted repository with its password: test/engine/repository/crypto/encrypted-repo.test.ts.
});
