/**
 * Saved jobs, in $XDG_CONFIG_HOME/backhaul/jobs.json (mode 0600) beside the
 * configuration, in the same style (workspace/config.ts): writes go through
 * conf with the jobs schema (job-schema.ts); reads parse the file directly
 * and check it against the same schema and validate.ts. A file that is not
 * JSON, does not match, or holds a value that does not parse (a cron
 * expression, a window that never opens) is never silently replaced or
 * half-believed: it is moved aside and the message says where and why.
 */
import {readFileSync, renameSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError, quoted, usageError} from '../errors.js';
import {checkSchema} from '../workspace/config-schema.js';
import {configDir} from '../workspace/dirs.js';
import type {JobDefinition} from './job.js';
import {JOBS_PROPERTIES, JOBS_SCHEMA} from './job-schema.js';
import {checkJob} from './validate.js';

export const jobsFile = () => join(configDir(), 'jobs.json');

type Stored = Omit<JobDefinition, 'name'>;
interface JobsFile {
  jobs: Record<string, Stored>;
}

/** Moves the file aside and says so; `why` ends the first sentence. */
function corruptJobs(why: string): BackhaulError {
  const file = jobsFile();
  const aside = `${file}.corrupt-${Date.now()}`;
  renameSync(file, aside);
  return new BackhaulError(
    'format',
    `The jobs file ${file} ${why}; it was moved to ${aside}.`,
    'Fix it and move it back (no job runs meanwhile), or add your jobs again with `backhaul job add`.',
  );
}

function parseFile(text: string): Map<string, JobDefinition> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corruptJobs('is not valid JSON');
  }
  const problems = checkSchema(JOBS_SCHEMA, data);
  if (problems.length > 0)
    throw corruptJobs(
      `does not match its schema (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''})`,
    );
  const jobs = new Map<string, JobDefinition>();
  for (const [name, stored] of Object.entries((data as Partial<JobsFile>).jobs ?? {})) {
    const job = {...stored, name} as JobDefinition;
    try {
      checkJob(job);
    } catch (e) {
      if (!(e instanceof BackhaulError)) throw e;
      throw corruptJobs(`holds a job ${quoted(name)} that does not check (${e.message.replace(/\.$/, '')})`);
    }
    jobs.set(name, job);
  }
  return jobs;
}

let cache: {stamp: string; jobs: Map<string, JobDefinition>} | undefined;

/** Every saved job by name (none when there is no file); a file unchanged since the last read is not parsed again. */
export function readJobs(): Map<string, JobDefinition> {
  let text: string;
  try {
    const st = statSync(jobsFile());
    // conf replaces the file (a new inode) on every write.
    const stamp = `${jobsFile()} ${st.ino} ${st.mtimeMs} ${st.size}`;
    if (cache?.stamp === stamp) return new Map(cache.jobs);
    text = readFileSync(jobsFile(), 'utf8');
    cache = {stamp, jobs: parseFile(text)};
    return new Map(cache.jobs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
}

export function listJobs(): JobDefinition[] {
  return [...readJobs().values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function findJob(name: string): JobDefinition | undefined {
  return readJobs().get(name);
}

/** The job named `name`; an unknown name is a usage error (exit 2). */
export function getJob(name: string): JobDefinition {
  const job = findJob(name);
  if (!job) {
    const names = [...readJobs().keys()];
    throw usageError(
      `No job is named ${quoted(name)}.`,
      names.length > 0
        ? `The jobs: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''} (\`backhaul job list\`).`
        : 'There are no jobs yet: add one with `backhaul job add`.',
    );
  }
  return job;
}

async function openForWriting() {
  readJobs(); // a file that does not check is moved aside (and said) before anything is written over it
  const {default: Conf} = await import('conf');
  return new Conf<JobsFile>({
    projectName: 'backhaul',
    projectSuffix: '',
    cwd: configDir(),
    configName: 'jobs',
    configFileMode: 0o600,
    defaults: {jobs: {}},
    schema: JOBS_PROPERTIES,
  });
}

const VIOLATION = 'Config schema violation:';

async function writeJobs(jobs: Map<string, JobDefinition>): Promise<void> {
  const conf = await openForWriting();
  const out: Record<string, Stored> = {};
  for (const [name, {name: _n, ...stored}] of [...jobs].sort(([a], [b]) => a.localeCompare(b))) out[name] = stored;
  try {
    conf.set('jobs', out);
  } catch (e) {
    if (!(e instanceof Error && e.message.startsWith(VIOLATION))) throw e;
    throw usageError(
      `That job does not fit the jobs file's schema: ${e.message.slice(VIOLATION.length).trim()}.`,
      'See `backhaul job add --help` for what a job holds.',
    );
  }
  cache = undefined;
}

/** Saves a new job; a name already taken is refused (exit 16). */
export async function addJob(job: JobDefinition): Promise<void> {
  checkJob(job);
  const jobs = readJobs();
  if (jobs.has(job.name))
    throw new BackhaulError(
      'exists',
      `A job named ${quoted(job.name)} already exists.`,
      `Change it with \`backhaul job edit ${job.name}\`, or remove it first with \`backhaul job rm ${job.name}\`.`,
    );
  jobs.set(job.name, job);
  await writeJobs(jobs);
}

/** Replaces a job with `change(job)` (checked first: nothing is written if it does not check); returns the new one. */
export async function updateJob(name: string, change: (job: JobDefinition) => JobDefinition): Promise<JobDefinition> {
  const jobs = readJobs();
  const next = checkJob(change(getJob(name)));
  jobs.set(name, {...next, name});
  await writeJobs(jobs);
  return jobs.get(name)!;
}

/** Forgets a job (its history stays); returns what it was. */
export async function removeJob(name: string): Promise<JobDefinition> {
  const jobs = readJobs();
  const job = getJob(name);
  jobs.delete(name);
  await writeJobs(jobs);
  return job;
}
