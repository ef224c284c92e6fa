/**
 * The Redis script calls a signaling node makes in one turn of its event
 * loop, sent in one write when the turn's I/O is done, in the order they were
 * made (docs/architecture.md §5, "Several nodes", batched relays).
 *
 * - Order: one Redis connection runs what it is sent in order, and a room's
 *   order (a relay behind the join that let its sender in, the seq of sealed
 *   payloads, §4) is the order the node made the calls. Nothing here reorders.
 * - Signals relayed in a row become one call of the relay script (at most
 *   MAX_RELAYS_PER_BATCH of them, MAX_RELAY_BATCH_CHARS of payload): one
 *   script run in Redis and one channel message per node that holds a
 *   recipient, instead of one of each per signal. A call of another script
 *   ends the run, so a signal made after it is relayed after it.
 * - Several turns' writes may be on their way at once: nothing waits for the
 *   previous answer (ioredis's auto-pipelining kept one pipeline in flight
 *   and queued the rest behind its answer).
 *
 * Sending is the caller's (redis-directory.ts, the one module that imports
 * ioredis), and so is the deferral (setImmediate there; tests pass their own
 * and run the flush themselves).
 */
import { MAX_RELAYS_PER_BATCH, parseRelayReply } from './cluster-messages.js';

export type ScriptArg = string | number;

/** One script call on its way: what to run, and where its answer goes. */
export interface QueuedCall<S> {
  readonly script: S;
  readonly argv: ScriptArg[];
  /** Called once, with Redis's answer or the error the call failed with. */
  settle(err: Error | undefined, reply?: unknown): void;
}

export interface ScriptQueueOptions<S> {
  /** Send these calls in one write, in this order, and settle each with its answer. */
  send(calls: QueuedCall<S>[]): void;
  /** Run `flush` once the current turn of the loop has done its I/O. */
  defer(flush: () => void): void;
  /** The relay script and the arguments that lead each of its calls (prefix, this node's instance). */
  relayScript: S;
  relayHead: readonly ScriptArg[];
  /** The error for a relay answer that is not one (the caller logs it). */
  badRelayReply(detail: string): Error;
}

/** Payload characters in one relay batch at most: a batch is one script run and one channel message per node. */
export const MAX_RELAY_BATCH_CHARS = 512 * 1024;

/** Signals relayed in a row: one call of the relay script, its answer fanned out to each signal's promise. */
class RelayBatch<S> {
  readonly call: QueuedCall<S>;
  /** Payload characters so far. */
  chars = 0;
  private readonly argv: ScriptArg[];
  private readonly resolves: Array<(relayed: boolean) => void> = [];
  private readonly rejects: Array<(err: Error) => void> = [];

  constructor(script: S, head: readonly ScriptArg[], private readonly badReply: (detail: string) => Error) {
    this.argv = [...head];
    this.call = { script, argv: this.argv, settle: (err, reply) => this.settle(err, reply) };
  }

  /** Signals so far (a batch is made for its first, so never 0 while it takes more). */
  get count(): number {
    return this.resolves.length;
  }

  add(roomId: string, from: string, connId: number, to: string, payload: string, resolve: (relayed: boolean) => void, reject: (err: Error) => void): void {
    this.argv.push(roomId, from, connId, to, payload);
    this.resolves.push(resolve);
    this.rejects.push(reject);
    this.chars += payload.length;
  }

  private settle(err: Error | undefined, reply: unknown): void {
    if (err === undefined) {
      const answers = parseRelayReply(reply, this.count);
      if (answers.ok) {
        for (let i = 0; i < this.resolves.length; i++) this.resolves[i]!(answers.value.charCodeAt(i) === 49 /* '1' */);
        return;
      }
      err = this.badReply(answers.error);
    }
    for (const reject of this.rejects) reject(err);
  }
}

export class ScriptQueue<S> {
  private calls: QueuedCall<S>[] = [];
  /** The relay batch that signals join, while no other call has come after it. */
  private relays: RelayBatch<S> | undefined;
  private deferred = false;

  constructor(private readonly opts: ScriptQueueOptions<S>) {}

  /** Run `script` with `argv` after everything called before it; resolves with Redis's answer. */
  call(script: S, argv: ScriptArg[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.push({ script, argv, settle: (err, reply) => (err === undefined ? resolve(reply) : reject(err)) });
      this.relays = undefined;
    });
  }

  /** Relay one signal (in a batch with the signals relayed just before it); true relayed, false no such peer. */
  relay(roomId: string, from: string, connId: number, to: string, payload: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let batch = this.relays;
      // A payload over the limit by itself still goes, alone (the protocol's own limit is far below it).
      if (batch === undefined || batch.count >= MAX_RELAYS_PER_BATCH || batch.chars + payload.length > MAX_RELAY_BATCH_CHARS) {
        batch = new RelayBatch(this.opts.relayScript, this.opts.relayHead, this.opts.badRelayReply);
        this.relays = batch;
        this.push(batch.call);
      }
      batch.add(roomId, from, connId, to, payload, resolve, reject);
    });
  }

  /** Send what is queued now (the deferred flush does this; so does a close, before it quits). */
  flush(): void {
    this.deferred = false;
    const calls = this.calls;
    this.calls = [];
    this.relays = undefined;
    if (calls.length > 0) this.opts.send(calls);
  }

  private push(call: QueuedCall<S>): void {
    this.calls.push(call);
    if (this.deferred) return;
    this.deferred = true;
    this.opts.defer(() => this.flush());
  }
}
