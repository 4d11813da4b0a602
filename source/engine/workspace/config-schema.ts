/**
 * The schema of Backhaul's configuration file, written once and used both
 * ways: `conf` validates every write with it (ajv), and reads check the file
 * against the same object here (checkConfig), without loading ajv — see
 * config.ts for why reads do not go through conf. checkConfig understands
 * exactly the keywords the `Schema` type allows, so a keyword it would not
 * check cannot be added to the schema without a compile error; the workspace
 * tests run both validators over the same good and bad files.
 */
import type {StorageLocation} from '../storage/location.js';

/** The JSON Schema keywords this configuration and the saved jobs (jobs/job-schema.ts) use (a subset of draft 2020-12). */
export type Schema =
  | {readonly type: 'string'; readonly minLength?: number; readonly maxLength?: number; readonly pattern?: string}
  | {readonly type: 'number'; readonly exclusiveMinimum?: number; readonly maximum?: number}
  | {readonly type: 'boolean'}
  | {readonly type: 'array'; readonly items: Schema; readonly maxItems?: number}
  | {
      readonly type: 'object';
      readonly properties?: Readonly<Record<string, Schema>>;
      readonly required?: readonly string[];
      readonly additionalProperties?: false | Schema;
      readonly propertyNames?: {readonly pattern: string};
    };

/** A registered name: what `backhaul repo add NAME` accepts. */
export const REPOSITORY_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const entry = {
  type: 'object',
  required: ['location'],
  additionalProperties: false,
  properties: {
    location: {type: 'string', minLength: 1},
    endpoint: {type: 'string', minLength: 1},
    region: {type: 'string', minLength: 1},
    timeout: {type: 'number', exclusiveMinimum: 0, maximum: 86_400},
  },
} as const satisfies Schema;

/** conf's `schema` option: the top level's properties (other top-level keys are left alone for newer versions). */
export const CONFIG_PROPERTIES = {
  repositories: {type: 'object', propertyNames: {pattern: REPOSITORY_NAME}, additionalProperties: entry},
} as const satisfies Record<string, Schema>;

/** The whole file. */
export const CONFIG_SCHEMA: Schema = {type: 'object', properties: CONFIG_PROPERTIES};

export type RepositoryEntry = StorageLocation;

export interface Config {
  repositories: Record<string, RepositoryEntry>;
}

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isRecord = (value: unknown): value is Record<string, unknown> => kind(value) === 'object';

function checkObject(
  schema: Extract<Schema, {type: 'object'}>,
  value: Record<string, unknown>,
  at: string,
  problems: string[],
): void {
  for (const key of schema.required ?? [])
    if (!Object.hasOwn(value, key)) problems.push(`${at || 'the file'} lacks "${key}"`);
  for (const [key, item] of Object.entries(value)) {
    const where = at ? `${at}.${key}` : key;
    if (schema.propertyNames && !new RegExp(schema.propertyNames.pattern, 'u').test(key))
      problems.push(`${JSON.stringify(key)} in ${at} is not a valid name`);
    const own = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (own) check(own, item, where, problems);
    else if (schema.additionalProperties === false) problems.push(`${where} is not a known setting`);
    else if (schema.additionalProperties) check(schema.additionalProperties, item, where, problems);
  }
}

function check(schema: Schema, value: unknown, at: string, problems: string[]): void {
  if (schema.type === 'object') {
    if (isRecord(value)) checkObject(schema, value, at, problems);
    else problems.push(`${at || 'the file'} must be an object, not ${kind(value)}`);
  } else if (schema.type === 'boolean') {
    if (typeof value !== 'boolean') problems.push(`${at} must be true or false, not ${kind(value)}`);
  } else if (schema.type === 'array') {
    if (!Array.isArray(value)) problems.push(`${at} must be an array, not ${kind(value)}`);
    else if (schema.maxItems !== undefined && value.length > schema.maxItems)
      problems.push(`${at} must hold at most ${schema.maxItems} items`);
    else value.forEach((item, i) => check(schema.items, item, `${at}[${i}]`, problems));
  } else if (schema.type === 'string') {
    if (typeof value !== 'string') problems.push(`${at} must be a string, not ${kind(value)}`);
    else if (value.length < (schema.minLength ?? 0)) problems.push(`${at} must not be empty`);
    else if (schema.maxLength !== undefined && value.length > schema.maxLength)
      problems.push(`${at} must be at most ${schema.maxLength} characters`);
    else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${at} does not match ${schema.pattern}`);
  } else if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`${at} must be a number, not ${kind(value)}`);
  } else if (schema.exclusiveMinimum !== undefined && !(value > schema.exclusiveMinimum)) {
    problems.push(`${at} must be above ${schema.exclusiveMinimum}`);
  } else if (schema.maximum !== undefined && value > schema.maximum) {
    problems.push(`${at} must be at most ${schema.maximum}`);
  }
}

/** What is wrong with parsed data against `schema` (empty: nothing), each problem named by its path. */
export function checkSchema(schema: Schema, data: unknown): string[] {
  const problems: string[] = [];
  check(schema, data, '', problems);
  return problems;
}

/** What is wrong with a parsed configuration file against CONFIG_SCHEMA (empty: nothing). */
export function checkConfig(data: unknown): string[] {
  return checkSchema(CONFIG_SCHEMA, data);
}
