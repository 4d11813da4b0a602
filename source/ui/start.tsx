/**
 * The TUI's entry: opens the Backups screen of the default repository
 * (demo-primary when registered, else the first registered one) full-screen,
 * and returns exit code 0 once the user quits.
 */
import React from 'react';
import {BackhaulError} from '../engine/errors.js';
import {App} from './app.js';
import {defaultSource} from './repos.js';
import {runTui} from './run.js';
import {createRegistry, SCREENS} from './screens/registry.js';

export async function startTui(): Promise<number> {
  const repo = defaultSource();
  if (!repo) {
    throw new BackhaulError('no-repository', 'No repository is registered.', 'Register one with `backhaul repo add NAME PATH`, or run `backhaul demo`.');
  }
  await runTui(<App registry={createRegistry(SCREENS)} initial={{screen: 'backups', params: {repo}}} />);
  return 0;
}
