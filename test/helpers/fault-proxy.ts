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
 *
 * Beyond the random faults, on demand: `delay` holds chosen requests back
 * before forwarding them (a slow DELETE); `ignoreIfNoneMatch` turns the
 * server's 412 to a conditional PUT into a 200 (a server that ignores the
 * condition, as the client sees it); `stall(mode)` makes chosen
 * requests go silent from then on, 'silent' (the request is read, nothing is
 * ever answered) or 'midBody' (the reply's headers and half its body are
 * sent, then nothing): a server that stops answering.
 */
import {createServer, request, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {seeded} from './cli.js';

export type FaultAction = 'forward' | 'error500' | 'error503' | 'resetBefore' | 'resetAfter';
export type StallMode = 'off' | 'silent' | 'midBody';
export type RequestFilter = (method: string, path: string) => boolean;

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
  /** Milliseconds to hold a request back before forwarding it (0: none). */
  delay?: (method: string, path: string) => number;
  /** Answer a PUT the server refused for its If-None-Match (412) with a 200, as a server ignoring the condition would. */
  ignoreIfNoneMatch?: boolean;
}

export interface FaultProxy {
  endpoint: string;
  counts: Record<FaultAction, number>;
  /** Requests that went silent (stall), by mode. */
  stalled: Record<Exclude<StallMode, 'off'>, number>;
  /** From now on, requests `which` accepts (all by default) stall in `mode`; 'off' answers them again. */
  stall(mode: StallMode, which?: RequestFilter): void;
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
  const stalled = {silent: 0, midBody: 0};
  let stallMode: StallMode = 'off';
  let stallWhich: RequestFilter = () => true;

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
    const send = () => {
      const upstream = request(
        {host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers},
        onResponse,
      );
      upstream.on('error', fail);
      req.pipe(upstream);
    };
    const wait = options.delay?.(req.method ?? '', req.url ?? '') ?? 0;
    if (wait > 0) setTimeout(send, wait);
    else send();
  };

  /** Half the reply, then silence: headers and the first half of the body reach the client. */
  const halfThenSilence = (upstream: IncomingMessage, res: ServerResponse) => {
    res.writeHead(upstream.statusCode ?? 502, upstream.headers);
    const chunks: Buffer[] = [];
    upstream.on('data', (c: Buffer) => chunks.push(c));
    upstream.on('end', () => {
      const body = Buffer.concat(chunks);
      res.write(body.subarray(0, Math.floor(body.length / 2)));
    });
  };

  const server: Server = createServer((req, res) => {
    if (stallMode !== 'off' && stallWhich(req.method ?? '', req.url ?? '')) {
      stalled[stallMode]++;
      if (stallMode === 'silent')
        req.resume(); // read it all, answer nothing
      else
        forward(
          req,
          upstream => halfThenSilence(upstream, res),
          () => req.socket.destroy(),
        );
      return;
    }
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
        req.on('end', () =>
          s3Error(res, action === 'error500' ? 500 : 503, action === 'error500' ? 'InternalError' : 'SlowDown'),
        );
        return;
      case 'resetAfter':
        // The server does the work; the client never hears back.
        forward(
          req,
          upstream => {
            upstream.resume();
            upstream.on('end', kill);
          },
          kill,
        );
        return;
      case 'forward':
        forward(
          req,
          upstream => {
            if (
              options.ignoreIfNoneMatch &&
              req.method === 'PUT' &&
              req.headers['if-none-match'] &&
              upstream.statusCode === 412
            ) {
              upstream.resume();
              res.writeHead(200, {etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'content-length': 0});
              res.end();
              return;
            }
            res.writeHead(upstream.statusCode ?? 502, upstream.headers);
            upstream.pipe(res);
          },
          kill,
        );
    }
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    stalled,
    stall(mode, which = () => true) {
      stallMode = mode;
      stallWhich = which;
    },
    close: () =>
      new Promise(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
