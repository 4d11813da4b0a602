// Where a password comes from (commands/password.ts): --password-file's first
// line, else BACKHAUL_PASSWORD, else a prompt; with none and no terminal, a
// usage error (exit 2) saying how to give one. A new password the same way
// from its own option and variable.
import {afterEach, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {BackhaulError, EXIT} from '../../source/engine/errors.js';
import {newPassword, passwordSource} from '../../source/commands/password.js';

const notATerminal = Object.assign(new PassThrough(), {isTTY: false}) as unknown as NodeJS.ReadStream;
const io = {input: notATerminal, err: new PassThrough()};
const saved = {p: process.env.BACKHAUL_PASSWORD, n: process.env.BACKHAUL_NEW_PASSWORD};

describe('password sources', () => {
  afterEach(() => {
    for (const [name, value] of [
      ['BACKHAUL_PASSWORD', saved.p],
      ['BACKHAUL_NEW_PASSWORD', saved.n],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('the file first (its first line, without the newline), then the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bh-pw-'));
    try {
      await writeFile(join(dir, 'pw'), 'from the file\nsecond line\n');
      process.env.BACKHAUL_PASSWORD = 'from the environment';
      assert.equal(await passwordSource({'password-file': join(dir, 'pw')}, io)(), 'from the file');
      assert.equal(await passwordSource({}, io)(), 'from the environment');
      await writeFile(join(dir, 'empty'), '\n');
      await assert.rejects(
        passwordSource({'password-file': join(dir, 'empty')}, io)(),
        e => e instanceof BackhaulError && e.code === 'usage' && /empty/.test(e.message),
      );
      await assert.rejects(
        passwordSource({'password-file': join(dir, 'missing')}, io)(),
        e => e instanceof BackhaulError && e.code === 'not-found',
      );
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });

  it('no password and no terminal: a usage error (exit 2) naming both ways to give one', async () => {
    delete process.env.BACKHAUL_PASSWORD;
    delete process.env.BACKHAUL_NEW_PASSWORD;
    await assert.rejects(
      passwordSource({}, io)(),
      e =>
        e instanceof BackhaulError &&
        e.exitCode === EXIT.usage &&
        /no terminal/.test(e.message) &&
        /--password-file FILE/.test(e.hint) &&
        /BACKHAUL_PASSWORD/.test(e.hint),
    );
    await assert.rejects(
      newPassword({}, io),
      e => e instanceof BackhaulError && e.exitCode === EXIT.usage && /BACKHAUL_NEW_PASSWORD/.test(e.hint),
    );
    process.env.BACKHAUL_NEW_PASSWORD = 'new one';
    assert.equal(await newPassword({}, io), 'new one');
  });
});
