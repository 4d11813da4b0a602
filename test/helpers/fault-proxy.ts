/**
 * A small HTTP proxy on 127.0.0.1 that sits between an S3 client and a real
 * server and misbehaves on purpose: by a seeded random draw per request it
 * answers 500 or 503 (S3-style XML), resets the connection before forwarding,
 * resets it after the server has done the work (the reply is lost), or
 * forwards normally. Same seed, same sequence of decisions.
 *
 * Bounded: at most `maxFaults` faults in all and never more than
 * `maxConsecutive` in a row, so a client with enough retries always gets
 * through. `counts` says what it did.
 */
import {createServer, request, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {seeded} from './cli.js';

export type FaultAction = 'forward' | 'error500' | 'error503' | 'resetBefore' | 'resetAfter';

export interface FaultProxyOptions {
  /** e.g. `http://127.0.0.1:7480` */
  target: string;
  /** Fraction of requests that fail, split evenly over `faults`. */
  failureRate?: number;
  /** Which faults to inject; all four by default. */
  faults?: Exclude<FaultAction, 'forward'>[];
  seed?: number;
  maxFaults?: number;
  maxConsecutive?: number;
}

export interface FaultProxy {
  endpoint: string;
  counts: Record<FaultAction, number>;
  close(): Promise<void>;
}

const FAULTS: Exclude<FaultAction, 'forward'>[] = ['error500', 'error503', 'resetBefore', 'resetAfter'];

function s3Error(res: ServerResponse, status: number, code: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by fault-proxy</Message></Error>`;
  res.writeHead(status, {'content-type': 'application/xml', 'content-length': Buffer.byteLength(body)});
  res.end(body);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seeded(options.seed ?? 1);
  const rate = options.failureRate ?? 0.2;
  const kinds = options.faults ?? FAULTS;
  const maxFaults = options.maxFaults ?? 1000;
  const maxConsecutive = options.maxConsecutive ?? 3;
  const counts: Record<FaultAction, number> = {forward: 0, error500: 0, error503: 0, resetBefore: 0, resetAfter: 0};
  let faults = 0;
  let inARow = 0;
  const sockets = new Set<Socket>();

  const decide = (): FaultAction => {
    const draw = random();
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    if (draw >= rate || faults >= maxFaults || inARow >= maxConsecutive) {
      inARow = 0;
      return 'forward';
    }
    faults++;
    inARow++;
    return kind;
  };

  const forward = (req: IncomingMessage, onResponse: (upstream: IncomingMessage) => void, fail: () => void) => {
    const upstream = request({host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers}, onResponse);
    upstream.on('error', fail);
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const action = decide();
    counts[action]++;
    const kill = () => req.socket.destroy();
    switch (action) {
      case 'resetBefore':
        kill();
        return;
      case 'error500':
      case 'error503':
        req.resume();
        req.on('end', () => s3Error(res, action === 'error500' ? 500 : 503, action === 'error500' ? 'InternalError' : 'SlowDown'));
        return;
      case 'resetAfter':
        // The server does the work; the client never hears back.
        forward(req, (upstream) => {
          upstream.resume();
          upstream.on('end', kill);
        }, kill);
        return;
      case 'forward':
        forward(req, (upstream) => {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
        }, kill);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
