/**
 * A capability some storage has: an owner on this host. A directory is owned
 * by a user, who is an admin of the repository in it (access/policy.ts);
 * object storage has no owner, so there only root and the policy make admins.
 * Storage that has one says so by implementing this (ReadableStorage carries it
 * as optional), so access control asks the storage, never its class.
 */
export interface OwnedStorage {
  /** The uid owning the repository's root, or undefined when it cannot be known (gone, unreadable). */
  ownerUid(): Promise<number | undefined>;
}
