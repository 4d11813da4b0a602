/**
 * The typed option parser, in-process: each kind converts and checks its
 * value at the edge (a bad one is a usage error naming the option and the
 * value, with a hint), unknown, repeated and value-less options are refused,
 * and --help is written from the same declarations. Every command declares
 * its options this way, and none declares one twice.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {optionsHelp} from '../../source/commands/help.js';
import {commands} from '../../source/commands/index.js';
import {option, parseDuration, parseOptions, type OptionDecl} from '../../source/commands/options.js';
import {BackhaulError} from '../../source/engine/errors.js';

const decls: OptionDecl[] = [
  option.text('repo', 'NAME', 'repository'),
  option.texts('path', 'P', 'a path'),
  option.flag('json', 'print JSON'),
  option.oneOf('kind', 'KIND', ['workstation', 'server'], 'what the machine is'),
  option.integer('concurrency', 'N', {min: 1, max: 256}, 'reads in flight', {default: '8'}),
  option.duration('wait', 'SECONDS', 's', 'wait for the lock'),
  option.url('endpoint', 'URL', 'http://127.0.0.1:7480', 'S3 endpoint'),
];
const parse = (...args: string[]) => parseOptions('test', decls, args);

/** A usage error (exit 2) whose message matches `message` and that has a hint. */
function usage(message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof BackhaulError, String(e));
    assert.equal(e.code, 'usage');
    assert.equal(e.exitCode, 2);
    assert.match(e.message, message);
    assert.ok(e.hint.length > 0, 'a hint');
    return true;
  };
}

describe('parseOptions', () => {
  test('converts each kind: text, repeatable text, flag, enum, integer, duration (ms), url', () => {
    const {values, positionals} = parse(
      'b01',
      '--repo',
      'main',
      '--path',
      'a',
      '--path=b',
      '--json',
      '--kind',
      'server',
      '--concurrency',
      '16',
      '--wait',
      '5s',
      '--endpoint',
      'https://rgw.example:7480',
      '--',
      '--not-an-option',
    );
    assert.deepEqual(values, {
      repo: 'main',
      path: ['a', 'b'],
      json: true,
      kind: 'server',
      concurrency: 16,
      wait: 5000,
      endpoint: 'https://rgw.example:7480',
    });
    assert.deepEqual(positionals, ['b01', '--not-an-option']);
  });

  test('durations: units, and a bare number in the unit the option documents', () => {
    const wait = (v: string) => parse('--wait', v).values['wait'];
    assert.equal(wait('30'), 30_000, 'a bare number is seconds for --wait');
    assert.equal(wait('500ms'), 500);
    assert.equal(wait('1.5s'), 1500);
    assert.equal(wait('10m'), 600_000);
    assert.equal(wait('2h'), 7_200_000);
    assert.equal(wait('1d'), 86_400_000);
    assert.equal(parseDuration('250', 'ms'), 250);
    for (const bad of ['abc', '5x', '-1', '', 's', '5 s5', '1e400'])
      assert.equal(parseDuration(bad, 's'), undefined, bad);
  });

  test('a bad value is a usage error naming the option and the value', () => {
    assert.throws(() => parse('--wait', 'abc'), usage(/^--wait must be a duration, not "abc"\.$/));
    assert.throws(() => parse('--wait', '5 minutes'), usage(/--wait .*"5 minutes"/));
    assert.throws(
      () => parse('--concurrency', '0'),
      usage(/^--concurrency must be a whole number from 1 to 256, not "0"\.$/),
    );
    assert.throws(() => parse('--concurrency', 'abc'), usage(/--concurrency .*"abc"/));
    assert.throws(() => parse('--concurrency', '2.5'), usage(/--concurrency .*"2.5"/));
    assert.throws(() => parse('--concurrency', '257'), usage(/--concurrency .*"257"/));
    assert.throws(() => parse('--concurrency=-1'), usage(/--concurrency .*"-1"/));
    assert.throws(() => parse('--kind', 'laptop'), usage(/^--kind must be workstation or server, not "laptop"\.$/));
    assert.throws(
      () => parse('--endpoint', '127.0.0.1:7480'),
      (e: unknown) =>
        usage(/--endpoint .*"127\.0\.0\.1:7480"/)(e) && /http:\/\/127\.0\.0\.1:7480/.test((e as BackhaulError).hint),
    );
    assert.throws(() => parse('--endpoint', 'ftp://host/'), usage(/--endpoint .*"ftp:\/\/host\/"/));
    assert.throws(() => parse('--endpoint', 'http://'), usage(/--endpoint/));
  });

  test('control characters in a bad value are shown escaped, never raw', () => {
    assert.throws(
      () => parse('--kind', 'x\u001b[2Jy'),
      (e: unknown) => !(e as Error).message.includes('\u001b') && /\\u001b/.test((e as Error).message),
    );
  });

  test('unknown, repeated, value-less and valued flags are refused', () => {
    assert.throws(() => parse('--bogus'), usage(/Unknown option "--bogus" for `backhaul test`/));
    assert.throws(() => parse('-x'), usage(/Unknown option "-x"/));
    assert.throws(() => parse('--repo', 'a', '--repo', 'b'), usage(/--repo is given more than once/));
    assert.throws(() => parse('--json', '--json'), usage(/--json is given more than once/));
    assert.throws(() => parse('--repo'), usage(/--repo needs a value/));
    assert.throws(() => parse('--repo', '--json'), usage(/--repo needs a value/));
    assert.throws(() => parse('--json=yes'), usage(/--json takes no value/));
    assert.equal(parse('--repo=--odd').values['repo'], '--odd', 'a value starting with -- is written --name=value');
  });
});

describe('help from the declarations', () => {
  test('lists every option with its value name, what its kind accepts, and its default', () => {
    const help = optionsHelp(decls, [{name: 'BACKUP_ID ...', description: 'these backups'}]);
    assert.match(help, /^Options:\n {2}BACKUP_ID \.\.\. {2,}these backups\n/);
    assert.match(help, /--path P {2,}a path \(repeatable\)/);
    assert.match(help, /--kind KIND {2,}what the machine is \(one of: workstation, server\)/);
    assert.match(help, /--concurrency N {2,}reads in flight \(1 to 256; default: 8\)/);
    assert.match(help, /--wait SECONDS {2,}wait for the lock \(a number of seconds, or 500ms, 5s/);
    assert.match(help, /--json {2,}print JSON/);
    for (const line of help.split('\n')) assert.ok(line.length <= 80, `wrapped to 80 columns: ${line}`);
  });

  test('options in another section are listed under its title', () => {
    const help = optionsHelp([
      option.text('machine', 'PATTERN', 'by machine', {section: 'Selection'}),
      option.flag('json', 'JSON'),
    ]);
    assert.match(help, /^Selection:\n {2}--machine PATTERN .*\n\nOptions:\n {2}--json/);
  });

  test('every command: each option declared once, each shown in its --help', () => {
    for (const c of commands) {
      const names = c.options.map(o => o.name);
      assert.equal(new Set(names).size, names.length, `${c.name} declares an option twice`);
      for (const o of c.options)
        assert.match(c.help, new RegExp(`\\n {2}--${o.name}\\b`), `${c.name} --help lists --${o.name}`);
      assert.match(c.help, new RegExp(`^Usage:\\s+backhaul ${c.name}`), `${c.name} --help starts with its usage`);
    }
  });

  test('the copy and agent backup options keep their names, with checked kinds', () => {
    const kindOf = (command: string, name: string) =>
      commands.find(c => c.name === command)!.options.find(o => o.name === name)?.kind;
    assert.equal(kindOf('copy', 'wait'), 'duration');
    assert.equal(kindOf('copy', 'concurrency'), 'integer');
    assert.equal(kindOf('agent backup', 'wait'), 'duration');
    assert.equal(kindOf('agent backup', 'kind'), 'enum');
    assert.equal(kindOf('repo add', 'endpoint'), 'url');
    assert.equal(kindOf('restore', 'conflict'), 'enum');
    for (const name of ['from', 'to', 'machine', 'job', 'points', 'nodes', 'dry-run', 'json', 'backup'])
      assert.ok(kindOf('copy', name), `copy --${name}`);
  });
});
