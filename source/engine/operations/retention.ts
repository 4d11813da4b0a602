/**
 * The entries for retention, as the faces (CLI now, jobs later) call them:
 * forget a policy's unkept points, prune the data no point references.
 * Both act on the repository given and nothing else: a copy's source is
 * never touched by retention on its target.
 */
export {
  forget,
  type ForgetBackup,
  type ForgetOptions,
  type ForgetPoint,
  type ForgetResult,
} from '../retention/forget.js';
export {DEFAULT_REPACK_THRESHOLD, prune, type PruneOptions, type PruneResult} from '../retention/prune.js';
export {MIN_KEEP_LAST, checkPolicy, selectPoints, type KeptFor, type RetentionPolicy} from '../retention/policy.js';
