/**
 * The one rule that says whether this process is root acting for someone
 * else through the sudo rule (README, "Access control"): the real uid is 0
 * and SUDO_UID names another user. Everything that must behave differently
 * then — who the actor is, which repositories may be opened, which commands
 * run, where configuration is read — asks here, so the rule exists once.
 *
 * SUDO_UID is believed only when the real uid is 0 (a plain user who sets it
 * gains nothing), and a malformed value fails closed: it must never fall
 * back to root's own rights. SUDO_UID=0 is root acting as root.
 */

export interface ProcessFacts {
  uid: number | undefined;
  env: Record<string, string | undefined>;
}

const UID = /^(0|[1-9][0-9]{0,9})$/;

export class MalformedSudoUid extends Error {
  constructor(readonly value: string) {
    super(`SUDO_UID "${value.slice(0, 20)}" is not a user id.`);
    this.name = 'MalformedSudoUid';
  }
}

const own = (): ProcessFacts => ({uid: process.getuid?.(), env: process.env});

/** The uid root acts for, or undefined when this process acts as itself. Throws MalformedSudoUid. */
export function sudoCallerUid(facts: ProcessFacts = own()): number | undefined {
  const value = facts.env['SUDO_UID'];
  if (facts.uid !== 0 || value === undefined || value === '') return undefined;
  if (!UID.test(value) || Number(value) > 0xffffffff) throw new MalformedSudoUid(value);
  const uid = Number(value);
  return uid === 0 ? undefined : uid;
}

/** True when root acts for a sudo caller (a malformed SUDO_UID counts: fail closed). */
export function actingForSudoCaller(facts: ProcessFacts = own()): boolean {
  try {
    return sudoCallerUid(facts) !== undefined;
  } catch {
    return true;
  }
}
