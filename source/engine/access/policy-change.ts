/**
 * Changing the admin policy: adding or removing admins and restore operators.
 * Only actors with `policy.change` may; every change is audited, and undone if
 * its audit entry cannot be written.
 *
 * Guarantee: an admin cannot remove the last way they are an admin by
 * accident — removing yourself (or a group of yours) from the admins is
 * refused unless you are an admin some other way (root or repository owner) or
 * `allowSelfDemotion` is set.
 */
import {PLAIN_CODEC, type ObjectCodec} from '../repository/codec.js';
import {BackhaulError} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {appendAudit, type AuditEntry} from './audit.js';
import {requirePrivilege, type AccessContext} from './authorize.js';
import {parsePrincipal, principalName} from './grants.js';
import {loadPolicy, repositoryOwnerUid, roleOf, savePolicy, type Policy} from './policy.js';

export type PolicyOp = 'add-admin' | 'remove-admin' | 'add-operator' | 'remove-operator';
export const POLICY_OPS: readonly PolicyOp[] = ['add-admin', 'remove-admin', 'add-operator', 'remove-operator'];

export interface PolicyChange {
  op: PolicyOp;
  /** `user:NAME` or `group:NAME`. */
  principal: string;
  reason?: string;
  allowSelfDemotion?: boolean;
}

export interface PolicyChangeResult {
  policy: Policy;
  changed: boolean;
  entry: AuditEntry;
}

/** The policy after one change; pure. */
export function applyPolicyChange(policy: Policy, op: PolicyOp, principal: string): Policy {
  const p = parsePrincipal(principal);
  const name = principalName(p);
  const field = p.startsWith('user:') ? 'users' : 'groups';
  const section = op.endsWith('admin') ? 'admins' : 'operators';
  const current = policy[section][field];
  const next = op.startsWith('add')
    ? current.includes(name)
      ? current
      : [...current, name]
    : current.filter(n => n !== name);
  return {...policy, [section]: {...policy[section], [field]: next}};
}

export async function changePolicy(
  storage: Storage,
  access: AccessContext,
  change: PolicyChange,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<PolicyChangeResult> {
  requirePrivilege(access.actor, access.role, 'policy.change');
  const before = await loadPolicy(storage, codec);
  const after = applyPolicyChange(before, change.op, change.principal);
  const changed = JSON.stringify(after) !== JSON.stringify(before);
  if (
    changed &&
    !change.allowSelfDemotion &&
    roleOf(access.actor, after, await repositoryOwnerUid(storage)) !== 'admin'
  ) {
    throw new BackhaulError(
      'denied',
      `This change would take away your own admin rights (${access.actor.user}).`,
      'Make sure another admin remains, then ask them to make this change.',
    );
  }
  if (changed) await savePolicy(storage, after, codec);
  try {
    const entry = await appendAudit(
      storage,
      {
        action: 'policy.change',
        actor: access.actor,
        result: changed ? 'ok' : 'unchanged',
        change: change.op,
        principal: change.principal,
        reason: change.reason,
      },
      undefined,
      codec,
    );
    return {policy: after, changed, entry};
  } catch (e) {
    if (changed) await savePolicy(storage, before, codec);
    throw e;
  }
}
