/**
 * The schema of the jobs file ($XDG_CONFIG_HOME/backhaul/jobs.json), in the
 * configuration's own subset of JSON Schema (workspace/config-schema.ts):
 * conf checks every write with it, and reads check the file against the same
 * object. What a schema cannot say (a cron expression parses, a window
 * opens) validate.ts checks, on the same reads.
 */
import {REPOSITORY_NAME, type Schema} from '../workspace/config-schema.js';
import {DURATION_PATTERN} from '../util/duration.js';
import {JOB_NAME} from './job.js';

const text = {type: 'string', minLength: 1, maxLength: 4096} as const satisfies Schema;
const texts = {
  type: 'array',
  items: {type: 'string', minLength: 1, maxLength: 256},
  maxItems: 64,
} as const satisfies Schema;
const duration = {type: 'string', pattern: DURATION_PATTERN} as const satisfies Schema;
const repository = {type: 'string', pattern: REPOSITORY_NAME} as const satisfies Schema;

const count = {type: 'number', exclusiveMinimum: -1, maximum: 1_000_000} as const satisfies Schema;

/** A job's retention (job.ts JobRetention); validate.ts checks the values (keepLast ≥ 3, whole numbers, days). */
const retention = {
  type: 'object',
  required: ['keepLast'],
  additionalProperties: false,
  properties: {
    keepLast: count,
    keepWeekly: count,
    keepMonthly: count,
    keepYearly: count,
    weeklyDay: count,
    monthlyDay: count,
    yearlyMonth: count,
    pruneEvery: duration,
    pruneCron: {type: 'string', minLength: 1, maxLength: 256},
  },
} as const satisfies Schema;

/** One job, under its name (the name is the key, not a field). */
export const JOB_ENTRY = {
  type: 'object',
  required: ['source', 'target', 'mode', 'enabled', 'created'],
  additionalProperties: false,
  properties: {
    source: repository,
    target: repository,
    machines: texts,
    agentJobs: texts,
    nodes: texts,
    points: {type: 'string', minLength: 1, maxLength: 64},
    mode: {type: 'string', pattern: '^(immediate|periodic)$'},
    every: duration,
    cron: {type: 'string', minLength: 1, maxLength: 256},
    windows: texts,
    throttle: {type: 'number', exclusiveMinimum: 0, maximum: 1_000_000},
    rpo: duration,
    pre: text,
    post: text,
    scriptTimeout: duration,
    health: {type: 'string', minLength: 1, maxLength: 256},
    retention,
    enabled: {type: 'boolean'},
    created: {type: 'string', minLength: 1, maxLength: 64},
  },
} as const satisfies Schema;

/** conf's `schema` option: the top level's properties. */
export const JOBS_PROPERTIES = {
  jobs: {type: 'object', propertyNames: {pattern: JOB_NAME}, additionalProperties: JOB_ENTRY},
} as const satisfies Record<string, Schema>;

export const JOBS_SCHEMA: Schema = {type: 'object', properties: JOBS_PROPERTIES};
