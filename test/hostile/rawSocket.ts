import WebSocket from 'ws';
import { cpuOf, expectRouterAlive, type Fixtures, type cpuLedger, MAX_CPU_MS } from './harness';

/**
 * graphql-ws as an attacker speaks it: frames written by hand (malformed, out of order, huge)
 * on a plain WebSocket, and the router's answer read frame by frame.
 */

export interface FormattedError {
  message: string;
  extensions?: Record<string, any>;
}

export interface WsOutcome {
  closeCode?: number;
  closeReason?: string;
  /** The payload of the first `error` frame. */
  errors?: FormattedError[];
  /** How many `error` frames came (the 1000-subscribe case counts refusals). */
  errorFrames: number;
  /** The data of the first `next` frame that carried any: what a refused subscription must never send. */
  data?: unknown;
}

export class RawSocket {
  private frames: Record<string, any>[] = [];
  private waiting?: () => void;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      try {
        this.frames.push(JSON.parse(String(data)));
      } catch {
        this.frames.push({ type: 'unparseable', text: String(data) });
      }
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    // A reset while sending (a frame too big) ends in 'close' too; the error itself says nothing more.
    socket.on('error', () => undefined);
  }

  /** `protocol` '' offers no subprotocol at all. */
  static open(routerUrl: string, protocol = 'graphql-transport-ws'): Promise<RawSocket> {
    const url = routerUrl.replace(/^http/, 'ws');
    const socket = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RawSocket(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Connects as graphql-ws does: connection_init, then the ack. */
  async init(payload: unknown = {}): Promise<void> {
    this.send({ type: 'connection_init', payload });
    const ack = await this.nextFrame();
    if (ack?.type !== 'connection_ack') throw new Error(`no connection_ack: ${JSON.stringify(ack)}`);
  }

  /** The next frame, or undefined once the socket is closed or nothing came within `ms`. */
  async nextFrame(ms = 2000): Promise<Record<string, any> | undefined> {
    const deadline = Date.now() + ms;
    while (!this.frames.length && Date.now() < deadline && this.socket.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, Math.min(50, deadline - Date.now()));
      });
    }
    return this.frames.shift();
  }

  /**
   * Waits up to `ms` for the close, or for the first error (an `error` frame, or a `next` carrying
   * errors) unless `countAll` (then every
   * frame within `ms` is read), then closes the socket and says what happened.
   */
  async outcome(ms = 2000, countAll = false): Promise<WsOutcome> {
    const deadline = Date.now() + ms;
    let errors: FormattedError[] | undefined;
    let errorFrames = 0;
    let data: unknown;
    for (;;) {
      const frame = await this.nextFrame(Math.max(0, deadline - Date.now()));
      if (frame?.type === 'error') {
        errors ??= frame.payload;
        errorFrames++;
      }
      // A subscription refused while it starts (a permission, a bad argument) ends in a `next` with errors.
      if (frame?.type === 'next') {
        errors ??= frame.payload?.errors;
        data ??= frame.payload?.data ?? undefined;
      }
      if (!frame || (errors && !countAll)) break;
    }
    const open = this.socket.readyState === WebSocket.OPEN;
    if (open) this.socket.close(1000);
    const { code, reason } = await this.closed;
    return { ...(open ? {} : { closeCode: code, closeReason: reason }), errors, errorFrames, ...(data === undefined ? {} : { data }) };
  }
}

export interface WsCase {
  name: string;
  /** What the client does on a fresh socket; `outcome()` reports what the router did. */
  run(socket: RawSocket, fixtures: Fixtures): Promise<WsOutcome>;
  /** The close code the router must use; undefined: the socket must stay open. */
  close?: number | readonly number[];
  /** The first error frame's code (the socket staying open). */
  code?: string | readonly string[];
  message?: RegExp;
  absent?: RegExp;
  /** The subprotocol offered ('' for none). @default 'graphql-transport-ws' */
  protocol?: string;
  check?(outcome: WsOutcome): void;
  /** Requests the case sends on its socket: the CPU bound is per request. @default 1 */
  messages?: number;
}

const oneOf = <T>(value: T | readonly T[]): readonly T[] => (Array.isArray(value) ? value : [value as T]);

export function expectWsAnswer(outcome: WsOutcome, expected: WsCase): void {
  const summary = JSON.stringify(outcome).slice(0, 300);
  expect(outcome.closeCode).not.toBe(1011);
  expect(outcome.closeCode).not.toBe(4500);
  for (const error of outcome.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  if (expected.close !== undefined && !oneOf(expected.close).includes(outcome.closeCode!)) {
    throw new Error(`expected close ${oneOf(expected.close).join(' or ')}, got ${summary}`);
  }
  if (expected.code !== undefined && !oneOf(expected.code).includes(outcome.errors?.[0]?.extensions?.code)) {
    throw new Error(`expected an error with ${oneOf(expected.code).join(' or ')}, got ${summary}`);
  }
  if (expected.message) expect(outcome.errors?.[0]?.message ?? outcome.closeReason).toMatch(expected.message);
  if (expected.absent) expect(JSON.stringify(outcome)).not.toMatch(expected.absent);
  expected.check?.(outcome);
}

export function runWsCases(title: string, cases: readonly WsCase[], fixtures: () => Fixtures, ledger: ReturnType<typeof cpuLedger>): void {
  describe(title, () => {
    test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, hostile) => {
      const f = fixtures();
      const { result, cpuMs } = await cpuOf(async () => hostile.run(await RawSocket.open(f.routerUrl, hostile.protocol), f));
      ledger.record(name, cpuMs);
      expectWsAnswer(result, hostile);
      await expectRouterAlive(f.routerUrl);
      expect(cpuMs / (hostile.messages ?? 1)).toBeLessThan(MAX_CPU_MS);
    });
  });
}
