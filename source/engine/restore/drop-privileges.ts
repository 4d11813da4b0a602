/**
 * Dropping root's rights for good, in a process that will write for someone
 * else (writer-child.ts): supplementary groups, then group, then user — real,
 * effective and saved ids alike, so nothing can switch back. The result is
 * checked, including that becoming root again fails; any doubt ends the
 * process before it has touched anything.
 */

export interface Credentials {
  uid: number;
  gid: number;
  /** The user's name for their supplementary groups ('' when they have no passwd entry). */
  user: string;
}

export function dropPrivileges(to: Credentials): void {
  const p = process as NodeJS.Process & {initgroups?(user: string, extra: number): void};
  if (p.getuid!() !== 0) {
    if (p.getuid!() === to.uid && p.geteuid!() === to.uid) return; // already that user
    throw new Error(`cannot write as uid ${to.uid}: this process is uid ${p.getuid!()}, not root`);
  }
  if (to.uid === 0) throw new Error('refusing to "drop" to root');
  let grouped = false;
  if (to.user) {
    try {
      p.initgroups!(to.user, to.gid);
      grouped = true;
    } catch {
      // no passwd entry under that name: the primary group only
    }
  }
  if (!grouped) p.setgroups!([to.gid]);
  p.setgid!(to.gid);
  p.setuid!(to.uid);
  const ok = p.getuid!() === to.uid && p.geteuid!() === to.uid && p.getgid!() === to.gid && p.getegid!() === to.gid;
  if (!ok) throw new Error("dropping root's rights did not take");
  let regained = false;
  try {
    p.setuid!(0);
    regained = true;
  } catch {
    // expected: EPERM
  }
  if (regained) throw new Error("root's rights could be taken back after dropping them");
}
