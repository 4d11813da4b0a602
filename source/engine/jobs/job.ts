/**
 * A saved backup copy job: what it copies (from a source to a target
 * repository, by registered name; which backups, points and cluster nodes),
 * when (immediate: every new restore point; periodic: on an interval or a
 * cron expression), when not (the copy window: prohibited hours), how fast
 * (a bandwidth limit), what it must keep up with (the RPO), the scripts run
 * around it, and its health check. The values are kept as the user typed
 * them ("24h", "mon-fri 08:00-18:00"), so `job show` and the file read as
 * they were written; validate.ts checks them and the modules that use them
 * parse them.
 */
import type {RetentionPolicy} from '../retention/policy.js';

export type JobMode = 'immediate' | 'periodic';

export const JOB_MODES: readonly JobMode[] = ['immediate', 'periodic'];

/** A job's name: what `backhaul job add NAME` accepts (the same rule as a repository's name). */
export const JOB_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** The health-check schedules that have a name; anything else is a cron expression, or "off". */
export const HEALTH_PRESETS: Readonly<Record<string, string>> = {
  daily: '0 5 * * *',
  weekly: '0 5 * * SUN',
  // The reference system checks at 05:00 on the last Sunday of each month.
  monthly: '0 5 * * SUN#L',
};

export interface JobDefinition {
  readonly name: string;
  /** Registered repository names. */
  readonly source: string;
  readonly target: string;
  /** Backups whose machine (or cluster) name matches one of these shell patterns; none: every backup. */
  readonly machines: readonly string[];
  /** Backups whose agent job matches one of these shell patterns; none: any. */
  readonly agentJobs: readonly string[];
  /** Cluster nodes to copy; none: every node. */
  readonly nodes: readonly string[];
  /**
   * latest | latest:N | all | since:DATE. Periodic: what each run copies.
   * Immediate: what the first run copies of a backup the target does not
   * hold yet; later runs copy every point made since the newest on the target.
   */
  readonly points: string;
  readonly mode: JobMode;
  /** Periodic: a run starts at once, then this long after each start ("1h"). */
  readonly every?: string;
  /** Periodic: a cron expression (croner's syntax, local time). */
  readonly cron?: string;
  /** Prohibited hours: "mon-fri 08:00-18:00", several allowed; none: any time. */
  readonly windows: readonly string[];
  /** MB/s (10^6 bytes a second) of what is sent to the target. */
  readonly throttle?: number;
  /** A new restore point not on the target this long after it was made is a warning ("24h"). */
  readonly rpo?: string;
  /** Shell commands run before and after each copy. */
  readonly pre?: string;
  readonly post?: string;
  /** How long a script may run before it is killed ("10m"). */
  readonly scriptTimeout: string;
  /** daily | weekly | monthly | a cron expression; absent: no health check. */
  readonly health?: string;
  /** Retention on the target after each successful run; absent: the target only grows. */
  readonly retention?: JobRetention;
  readonly enabled: boolean;
  /** When the job was saved first (ISO 8601): schedules count from it until it has run. */
  readonly created: string;
}

export const DEFAULT_SCRIPT_TIMEOUT = '10m';

/**
 * A job's retention: the forget policy (retention/policy.ts) applied to the
 * backups the job copies, on its target, after each successful run; and
 * when to prune: every `pruneEvery` ("7d") or at the times of `pruneCron`,
 * counted from the last prune (default: every DEFAULT_PRUNE_EVERY).
 */
export interface JobRetention extends RetentionPolicy {
  readonly pruneEvery?: string;
  readonly pruneCron?: string;
}

export const DEFAULT_PRUNE_EVERY = '7d';

/** What `job add` takes: a definition without the fields the store fills in. */
export type JobInput = Omit<
  JobDefinition,
  'created' | 'enabled' | 'machines' | 'agentJobs' | 'nodes' | 'windows' | 'points' | 'scriptTimeout'
> &
  Partial<
    Pick<
      JobDefinition,
      'enabled' | 'machines' | 'agentJobs' | 'nodes' | 'windows' | 'points' | 'scriptTimeout' | 'created'
    >
  >;

/** A definition with every default filled in. */
export function withDefaults(input: JobInput, now = new Date()): JobDefinition {
  return {
    machines: [],
    agentJobs: [],
    nodes: [],
    windows: [],
    points: 'latest',
    scriptTimeout: DEFAULT_SCRIPT_TIMEOUT,
    enabled: true,
    created: now.toISOString(),
    ...dropUndefined(input),
  } as JobDefinition;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
