// Renders the shell once with the theme the environment asks for and prints
// the frame; app.test.tsx runs it with and without NO_COLOR (colour support is
// decided when chalk loads, so it needs its own process).
import React from 'react';
import {render} from 'ink-testing-library';
import {App} from '../../source/ui/app.js';
import {themeFor} from '../../source/ui/theme.js';
import {machines, testRegistry} from './helpers.js';

(globalThis as {IS_REACT_ACT_ENVIRONMENT?: boolean}).IS_REACT_ACT_ENVIRONMENT = false;

const r = render(
  <App
    registry={testRegistry(machines(5))}
    initial={{screen: 'machines', params: {repo: 'demo'}}}
    theme={themeFor(process.env)}
    size={{columns: 80, rows: 12}}
  />,
);
await new Promise(resolve => setTimeout(resolve, 50));
process.stdout.write(r.lastFrame() ?? '');
r.unmount();
process.exit(0);
