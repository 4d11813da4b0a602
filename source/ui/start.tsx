/**
 * The TUI's entry: opens the Backups screen of the default repository (the
 * engine's rule, shared with the commands: the only one registered, else
 * demo-primary) full-screen — or, when several are registered and none is the
 * default, the list of repositories to pick one from — and returns exit code
 * 0 once the user quits.
 */
import React from 'react';
import {BackhaulError} from '../engine/errors.js';
import {defaultRepository} from '../engine/workspace/registry.js';
import {App} from './app.js';
import {repositoryNames} from './repos.js';
import {runTui} from './run.js';
import {createRegistry, SCREENS} from './screens/registry.js';

/** The first screen for these registered names (at least one). */
export function initialScreen(names: readonly string[]): {screen: string; params: unknown} {
  const repo = defaultRepository(names);
  return repo ? {screen: 'backups', params: {repo}} : {screen: 'repos', params: {current: ''}};
}

export async function startTui(): Promise<number> {
  const names = repositoryNames();
  if (names.length === 0) {
    throw new BackhaulError(
      'no-repository',
      'No repository is registered.',
      'Register one with `backhaul repo add NAME PATH`, or run `backhaul demo`.',
    );
  }
  await runTui(<App registry={createRegistry(SCREENS)} initial={initialScreen(names)} />);
  return 0;
}
