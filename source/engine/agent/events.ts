/** Progress of an agent backup, as typed events the CLI (and TUI) render. */
export interface AgentProgress {
  type: 'agent.progress';
  node?: string;
  disk: string;
  /** Bytes of file contents / image processed so far, and the total known. */
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Bytes (as packed) newly written to the repository. */
  bytesStored: number;
}

export interface AgentPointDone {
  type: 'agent.point';
  backupId: string;
  pointId: string;
  pointType: 'full' | 'incremental';
  logicalBytes: number;
  storedBytes: number;
  seconds: number;
}

export type AgentEvent = AgentProgress | AgentPointDone;
export type AgentListener = (event: AgentEvent) => void;
