/**
 * Catches a screen that throws while rendering and shows one sentence and a
 * hint in its place — never a stack trace. Esc still goes back, because the
 * shell's global keys do not depend on the broken screen.
 */
import React, {Component, type ReactNode} from 'react';
import {Text} from 'ink';
import {StatusLine, statusFromError, type Status} from './components/status-line.js';

interface Props {
  readonly width: number;
  readonly children: ReactNode;
}

export class ScreenBoundary extends Component<Props, {status?: Status}> {
  override state: {status?: Status} = {};
  static getDerivedStateFromError(error: unknown) {
    return {status: statusFromError(error)};
  }
  override render() {
    if (!this.state.status) return this.props.children;
    return (
      <>
        <StatusLine status={this.state.status} width={this.props.width} />
        <Text>Press Esc to go back.</Text>
      </>
    );
  }
}
