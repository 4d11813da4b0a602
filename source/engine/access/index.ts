/**
 * The access-control engine in one import: identity (who acts), policy and
 * roles (what they are), authorization (what they see and may do), grants,
 * policy changes, the audit log, its anchors outside the repository, and
 * the log of refused attempts.
 */
export * from './identity.js';
export * from './policy.js';
export * from './authorize.js';
export * from './grants.js';
export * from './policy-change.js';
export * from './audit.js';
export * from './anchors.js';
export * from './refusals.js';
export * from './view.js';
