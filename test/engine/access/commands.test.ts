/**
 * The access commands run in-process against a directory repository. The
 * actor is this process's user; the sudo cases set SUDO_UID, which is only
 * honoured when running as root (CI does), so they are skipped otherwise.
 */
import assert from 'node:assert/strict';
import {rm} from 'node:fs/promises';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import {after, before, test} from 'node:test';
import {accessGrant, accessRevoke} from '../../../source/commands/access-grant.js';
import {accessPolicy} from '../../../source/commands/access-policy.js';
import {audit} from '../../../source/commands/audit.js';
import {safeText} from '../../../source/engine/util/safe-text.js';
import type {Command, CommandContext} from '../../../source/commands/command.js';
import {auditKey} from '../../../source/engine/access/audit.js';
import {currentActor} from '../../../source/engine/access/identity.js';
import {BackhaulError, EXIT} from '../../../source/engine/errors.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {rootOnlyTempDir} from '../../helpers/root-only.js';
import {backup} from './fixtures.js';

const isRoot = process.getuid?.() === 0;
let work: string;
let repoDir: string;

before(async () => {
  // Through sudo only repositories root alone can change are opened: not one in /tmp.
  work = await rootOnlyTempDir('backhaul-access-cmd');
  process.env['XDG_CONFIG_HOME'] = join(work, 'config');
  repoDir = join(work, 'repo');
  const repo = await Repository.create(new FilesystemStorage(repoDir));
  await repo.putBackup(backup('bcopy00000001', null));
});
after(async () => {
  delete process.env['SUDO_UID'];
  await rm(work, {recursive: true, force: true});
});

async function run(
  command: Command,
  args: Record<string, string | boolean>,
  positionals: string[] = [],
): Promise<{code: number; out: string}> {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk;
      done();
    },
  });
  const ctx: CommandContext = {out: sink, err: sink, signal: new AbortController().signal};
  const code = await command.run(ctx, {repo: repoDir, ...args}, positionals);
  return {code, out};
}

async function runAs(
  uid: string,
  command: Command,
  args: Record<string, string | boolean>,
  positionals: string[] = [],
) {
  process.env['SUDO_UID'] = uid;
  try {
    return await run(command, args, positionals);
  } finally {
    delete process.env['SUDO_UID'];
  }
}

test('every command has a help text naming its usage', () => {
  for (const c of [accessPolicy, accessGrant, accessRevoke, audit]) {
    assert.match(c.help, new RegExp(`Usage: backhaul ${c.name}`));
    assert.match(c.help, /--repo R/);
  }
});

test('policy show, grant, revoke and audit as an admin (root, or the repository owner)', async () => {
  const me = currentActor().user;
  const show = await run(accessPolicy, {}, ['show']);
  assert.match(show.out, /groups backhaul-admins/);
  assert.match(show.out, new RegExp(`you: +${me} \\(admin\\)`));

  const grant = await run(accessGrant, {backup: 'bcopy00000001', user: 'nobody', reason: 'line1\nline2\u001b[2J'});
  assert.equal(grant.code, 0);
  assert.match(grant.out, /Granted user nobody access to backup bcopy00000001 \(audit entry 1\)/);
  await assert.rejects(
    run(accessGrant, {backup: 'bcopy00000001', user: 'no-such-user-xyz'}),
    (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
  );

  const policy = await run(accessPolicy, {group: 'nogroup'}, ['add-operator']);
  assert.match(policy.out, /Added group nogroup to the operators \(audit entry 2\)/);

  const log = await run(audit, {});
  const lines = log.out.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    new RegExp(
      `#1 .* ${me} +access\\.grant +user:nobody +backup bcopy00000001 +ok +reason "line1\\\\nline2\\\\u001b\\[2J"`,
    ),
  );
  assert.ok(!log.out.includes('\u001b'), 'control characters are escaped');

  const json = await run(audit, {json: true});
  assert.equal(JSON.parse(json.out.split('\n')[1]!).action, 'policy.change');

  const revoke = await run(accessRevoke, {backup: 'bcopy00000001', user: 'nobody', json: true});
  assert.deepEqual(JSON.parse(revoke.out), {backup: 'bcopy00000001', access: null, changed: true, auditSeq: 3});

  assert.equal((await run(audit, {verify: true})).code, EXIT.ok);
  const storage = new FilesystemStorage(repoDir);
  const two = JSON.parse((await storage.get(auditKey(2))).toString());
  await storage.put(auditKey(2), Buffer.from(JSON.stringify({...two, principal: 'group:root'})));
  const verify = await run(audit, {verify: true});
  assert.equal(verify.code, EXIT.corrupt);
  assert.match(verify.out, /entry 2 \(audit\/000000000002\.json\): edited/);
});

test(
  'a plain user acting through sudo is denied admin actions with exit code 15',
  {skip: !isRoot && 'SUDO_UID is only trusted as root'},
  async () => {
    const nobody = '65534';
    // nobody's primary group is nogroup: make sure it is not an operator for the denials below.
    await run(accessPolicy, {group: 'nogroup'}, ['remove-operator']);
    for (const [command, args, positionals] of [
      [accessGrant, {backup: 'bcopy00000001', user: 'nobody'}, []],
      [accessRevoke, {backup: 'bnothere00001', user: 'nobody'}, []],
      [accessPolicy, {user: 'nobody'}, ['add-admin']],
      [audit, {}, []],
      [audit, {verify: true}, []],
    ] as const) {
      await assert.rejects(runAs(nobody, command, args, [...positionals]), (e: unknown) => {
        assert.ok(e instanceof BackhaulError, String(e));
        assert.equal(e.exitCode, EXIT.denied, e.message);
        assert.match(e.message, /^nobody \(via sudo\) may not/);
        assert.notEqual(e.hint, '');
        return true;
      });
    }
    const show = await runAs(nobody, accessPolicy, {}, ['show']);
    assert.match(show.out, /you: +nobody \(user\)/);

    // As a restore operator, nobody may read the audit log but still not grant or change the policy.
    await run(accessPolicy, {group: 'nogroup'}, ['add-operator']);
    assert.equal((await runAs(nobody, audit, {})).code, 0);
    await assert.rejects(
      runAs(nobody, accessGrant, {backup: 'bcopy00000001', user: 'nobody'}),
      (e: unknown) => e instanceof BackhaulError && e.exitCode === EXIT.denied,
    );
    await assert.rejects(
      runAs(nobody, accessPolicy, {group: 'nogroup'}, ['remove-operator']),
      (e: unknown) => e instanceof BackhaulError && e.exitCode === EXIT.denied,
    );
  },
);

test('usage errors are clear', async () => {
  await assert.rejects(
    run(accessPolicy, {}, ['promote']),
    (e: unknown) => e instanceof BackhaulError && e.code === 'usage' && /Unknown policy action/.test(e.message),
  );
  await assert.rejects(
    run(accessGrant, {backup: 'bcopy00000001'}),
    (e: unknown) =>
      e instanceof BackhaulError && e.code === 'usage' && /exactly one of --user or --group/.test(e.message),
  );
  await assert.rejects(run(audit, {repo: ''}), (e: unknown) => e instanceof BackhaulError && e.code === 'usage');
});

test('safeText escapes control, separator and bidi characters', () => {
  assert.equal(safeText('a\nb\tc\u0007\u202ed\u2028'), 'a\\nb\\tc\\u0007\\u202ed\\u2028');
});
