// The progress reducer fed from a run log, as a viewer that attached without
// the plan sees it: rows appear with the points' events, the run's phase
// (waiting for the copy window) shows and goes, and a run that ends without
// a copy summary (a failed pre-script, a killed process) ends the view with
// its result and message. The job form's translations: fields to a job the
// engine checks, kept fields on edit, retention fields to a policy (none when
// every keep is empty), and engine sentences placed at their field.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {checkJob, withDefaults} from '../../../source/engine/jobs/index.js';
import type {StampedEntry} from '../../../source/engine/jobs/run-log.js';
import {emptyProgress, progressReducer, runEntryEvents} from '../../../source/ui/screens/progress-state.js';
import {
  FIELD_IDS,
  fieldOf,
  formFor,
  formReducer,
  jobFromForm,
  type FieldId,
  type FormState,
} from '../../../source/ui/screens/job-form-state.js';

const fold = (entries: StampedEntry[]) =>
  entries.flatMap(runEntryEvents).reduce(progressReducer, emptyProgress('offsite'));
const disk = (t: number, pointId: string, done: number): StampedEntry => ({
  t,
  type: 'copy',
  event: {
    type: 'copy.disk',
    backupId: 'b1',
    machine: 'db01',
    pointId,
    node: 'db01',
    disk: 'system',
    bytesDone: done,
    bytesTotal: 100,
    chunksDone: done,
    chunksTotal: 100,
  },
});

test('a viewer without the plan: rows come with the events; the window phase shows and goes', () => {
  let s = fold([
    {t: 1, type: 'run.start', runId: 'r', kind: 'copy', trigger: 'manual', pid: 1, source: 'a', target: 'offsite'},
    {t: 2, type: 'run.phase', phase: 'waiting for window', until: '2026-12-04T06:00:00.000Z'},
  ]);
  assert.equal(s.runPhase?.phase, 'waiting for window');
  assert.match(s.log.at(-1)!.text, /Waiting for the copy window to open… \(until 2026-12-04 06:00 UTC\)/);
  s = [{t: 3, type: 'run.phase', phase: 'copying'} as StampedEntry, disk(4, 'p1', 50), disk(5, 'p2', 10)]
    .flatMap(runEntryEvents)
    .reduce(progressReducer, s);
  assert.equal(s.runPhase, undefined, 'copying again: no phase line');
  assert.deepEqual(
    s.objects.map(o => [o.label, o.status]),
    [
      ['db01 p1', 'running'],
      ['db01 p2', 'running'],
    ],
  );
  assert.equal(s.phase, 'running');
});

test('a run that ends without a copy summary: its result and message end the view', () => {
  const s = fold([
    {t: 1, type: 'run.log', level: 'error', text: 'The pre-script exited with code 3.'},
    {
      t: 2,
      type: 'run.end',
      result: 'failed',
      exitCode: 1,
      summary: {
        result: 'failed',
        pointsCopied: 0,
        pointsSkipped: 0,
        pointsFailed: 0,
        failed: [],
        logicalBytes: 0,
        readBytes: 0,
        transferredBytes: 0,
        storedBytes: 0,
        seconds: 1,
        rate: 0,
        bottleneck: 'source read',
        startedAt: '2026-12-03T10:00:00Z',
        endedAt: '2026-12-03T10:00:01Z',
      },
    },
  ]);
  assert.equal(s.phase, 'done');
  assert.equal(s.summary?.result, 'failed');
  assert.equal(s.failure, 'The run ended: failed.');
  assert.ok(s.log.some(l => l.level === 'error' && /pre-script exited/.test(l.text)));
  const killed = fold([
    {
      t: 1,
      type: 'run.end',
      result: 'interrupted',
      exitCode: 1,
      message: "The run's process (pid 9) ended without finishing the run.",
    },
  ]);
  assert.equal(killed.failure, "The run's process (pid 9) ended without finishing the run.");
  assert.equal(killed.phase, 'done');
});

const typeInto = (s: FormState, at: number, text: string) =>
  formReducer({...s, at}, {type: 'text', action: {type: 'insert', text}});

test("the job form: a new job gets the engine's defaults; an edit keeps what the form does not show; a choice cycles", () => {
  let s = formFor(undefined);
  s = typeInto(s, 0, 'nightly');
  s = typeInto(s, 1, 'primary');
  s = typeInto(s, 2, 'offsite');
  s = typeInto(s, 9, 'mon-fri 08:00-18:00; sat 00:00-06:00');
  const job = checkJob(jobFromForm(s, undefined));
  assert.deepEqual(
    {
      name: job.name,
      mode: job.mode,
      every: job.every,
      points: job.points,
      windows: job.windows,
      enabled: job.enabled,
      scriptTimeout: job.scriptTimeout,
    },
    {
      name: 'nightly',
      mode: 'periodic',
      every: '1d',
      points: 'latest',
      windows: ['mon-fri 08:00-18:00', 'sat 00:00-06:00'],
      enabled: true,
      scriptTimeout: '10m',
    },
  );
  const old = withDefaults({
    name: 'offsite',
    source: 'primary',
    target: 'offsite',
    mode: 'periodic',
    every: '1h',
    health: 'monthly',
    agentJobs: ['sql'],
    rpo: '24h',
  });
  let e = formFor(old);
  e = typeInto(e, 0, 'renamed');
  assert.equal(e.values.name.value, 'offsite', 'a saved job keeps its name');
  e = formReducer({...e, at: 11}, {type: 'text', action: {type: 'clear'}});
  e = formReducer({...e, at: FIELD_IDS.indexOf('enabled')}, {type: 'change', by: 1});
  const edited = jobFromForm(e, old);
  assert.equal(edited.rpo, undefined, 'a field emptied clears the value');
  assert.equal(edited.enabled, false);
  assert.deepEqual(
    [edited.health, edited.agentJobs, edited.created],
    ['monthly', ['sql'], old.created],
    'what the form does not show is kept',
  );
});

test('engine sentences land at their field', () => {
  assert.equal(fieldOf('--rpo must be a duration of at least 1s, not "abc".'), 'rpo');
  assert.equal(fieldOf('--cron "x" is not a cron expression: bad.'), 'cron');
  assert.equal(fieldOf('The copy window "mon 25:00-26:00" has a bad time "25:00".'), 'windows');
  assert.equal(fieldOf('"bad job" is not a valid job name.'), 'name');
  assert.equal(fieldOf('No repository is registered as "nope" (--to).'), 'target');
  assert.equal(fieldOf('A periodic job needs one schedule: --every INTERVAL or --cron EXPRESSION.'), 'every');
  assert.equal(fieldOf('Something else entirely.'), undefined);
  assert.throws(
    () => jobFromForm(typeInto(formFor(undefined), 10, 'fast'), undefined),
    /--throttle must be a number of MB\/s above 0, not "fast"\./,
  );
});

const typeAt = (s: FormState, id: FieldId, text: string) => typeInto(s, FIELD_IDS.indexOf(id), text);
const newJob = () => typeAt(typeAt(typeAt(formFor(undefined), 'name', 'n'), 'source', 'a'), 'target', 'b');

test("the job form's retention fields: a policy, the minimum keep-last beside another keep, none without keeps", () => {
  assert.equal(jobFromForm(newJob(), undefined).retention, undefined, 'empty keeps: no retention');
  assert.equal(
    jobFromForm(typeAt(newJob(), 'pruneEvery', '1d'), undefined).retention,
    undefined,
    'a prune schedule alone is no policy',
  );
  let s = typeAt(newJob(), 'keepLast', '5');
  s = typeAt(s, 'keepMonthly', '12');
  s = typeAt(s, 'weeklyDay', '0');
  s = typeAt(s, 'pruneCron', '0 3 * * 0');
  assert.deepEqual(checkJob(jobFromForm(s, undefined)).retention, {
    keepLast: 5,
    keepMonthly: 12,
    weeklyDay: 0,
    pruneCron: '0 3 * * 0',
  });
  assert.deepEqual(jobFromForm(typeAt(newJob(), 'keepWeekly', '4'), undefined).retention, {
    keepLast: 3,
    keepWeekly: 4,
  });
  const old = withDefaults({name: 'o', source: 'a', target: 'b', mode: 'immediate', retention: {keepLast: 7}});
  const e = formFor(old);
  assert.equal(e.values.keepLast.value, '7', 'an edit prefills the policy');
  assert.deepEqual(jobFromForm(e, old).retention, {keepLast: 7});
});

test('retention mistakes: the engine refuses them in its words, at their field; text that is no number too', () => {
  const refused = (id: FieldId, text: string) => {
    try {
      checkJob(jobFromForm(typeAt(typeAt(newJob(), 'keepLast', id === 'keepLast' ? '' : '3'), id, text), undefined));
    } catch (e) {
      return {field: fieldOf((e as Error).message), message: (e as Error).message};
    }
    return undefined;
  };
  assert.deepEqual(refused('keepLast', '2'), {
    field: 'keepLast',
    message: '--keep-last must be at least 3, not 2: a backup keeps a short-term chain of at least 3 restore points.',
  });
  assert.equal(refused('keepWeekly', '-1')?.field, 'keepWeekly');
  assert.equal(refused('monthlyDay', '29')?.field, 'monthlyDay');
  assert.equal(refused('yearlyMonth', 'june')?.message, '--yearly-month must be a whole number, not "june".');
  assert.equal(refused('pruneEvery', 'soon')?.field, 'pruneEvery');
  assert.equal(refused('pruneCron', 'nope')?.field, 'pruneCron');
});
