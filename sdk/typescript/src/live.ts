import { io, type Socket } from "socket.io-client";
import { CodetteError } from "./errors.js";
import { Dedup, EVENT_NAMES, Emitter, type EventMap, type EventName, type Handler } from "./events.js";

export type Target = { batch_id: string } | { job_id: string } | { session_id: string };

interface Ack {
  ok: boolean;
  room?: string;
  snapshot?: unknown;
  error?: { code: string; message: string };
}

function targetKey(target: Target): string {
  const [kind, id] = Object.entries(target)[0] ?? ["", ""];
  return `${kind}:${String(id)}`;
}

/**
 * One Socket.IO connection that survives drops: socket.io-client reconnects with backoff, and on
 * every (re)connect each subscription is renewed; the server then replays the current state as
 * events, so nothing that happened while disconnected is lost. Repeats are dropped (Dedup).
 */
export class Live {
  readonly events = new Emitter();
  private readonly socket: Socket;
  private readonly subscriptions = new Map<string, Target>();
  private readonly dedup = new Dedup();
  private connected: Promise<void>;

  constructor(url: string, token: string, options: { timeoutMs?: number } = {}) {
    this.socket = io(url, {
      auth: { token },
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 5000,
      timeout: options.timeoutMs ?? 10_000,
    });
    for (const name of EVENT_NAMES) {
      this.socket.on(name, (payload: EventMap[typeof name]) => this.deliver(name, payload));
    }
    this.connected = this.waitConnected();
    this.socket.io.on("reconnect", () => {
      for (const target of this.subscriptions.values()) {
        // A failed renewal is retried on the next reconnect; REST stays the source of truth.
        this.emitSubscribe(target).catch(() => undefined);
      }
    });
  }

  private waitConnected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      const ok = () => {
        this.socket.off("connect_error", fail);
        resolve();
      };
      const fail = (err: Error) => {
        // Refused authentication does not retry; anything else keeps trying in the background.
        if (/unauthorized/i.test(err.message)) {
          this.socket.off("connect", ok);
          reject(new CodetteError(401, "unauthorized", err.message));
        }
      };
      this.socket.once("connect", ok);
      this.socket.on("connect_error", fail);
    });
  }

  private deliver<E extends EventName>(name: E, payload: EventMap[E]): void {
    if (this.dedup.admit(name, payload)) this.events.emit(name, payload);
  }

  on<E extends EventName>(event: E, handler: Handler<E>): () => void {
    return this.events.on(event, handler);
  }

  /**
   * Follow the connection's state: called at once with the current state, then with true once
   * connected and false whenever it drops or an attempt fails (also a transport closed before the
   * handshake, which raises no connect_error). Returns the remover.
   */
  onConnection(handler: (connected: boolean) => void): () => void {
    const up = () => handler(true);
    const down = () => handler(false);
    const manager = this.socket.io;
    this.socket.on("connect", up);
    this.socket.on("disconnect", down);
    this.socket.on("connect_error", down);
    manager.on("error", down);
    manager.on("close", down);
    handler(this.socket.connected);
    return () => {
      this.socket.off("connect", up);
      this.socket.off("disconnect", down);
      this.socket.off("connect_error", down);
      manager.off("error", down);
      manager.off("close", down);
    };
  }

  private async emitSubscribe(target: Target): Promise<unknown> {
    const ack = (await this.socket.timeout(10_000).emitWithAck("subscribe", target)) as Ack;
    if (!ack?.ok) {
      const error = ack?.error ?? { code: "subscribe_refused", message: "subscribe refused" };
      throw new CodetteError(error.code === "not_found" ? 404 : 0, error.code, error.message);
    }
    return ack.snapshot;
  }

  /** Join a room: resolves with the server's snapshot; its state is replayed as events first. */
  async subscribe(target: Target): Promise<unknown> {
    await this.connected;
    this.subscriptions.set(targetKey(target), target);
    try {
      return await this.emitSubscribe(target);
    } catch (err) {
      if (err instanceof CodetteError) throw err;
      throw new CodetteError(0, "timeout", `subscribe ${targetKey(target)}: ${(err as Error).message}`);
    }
  }

  /** Drop the transport without forgetting subscriptions (tests use it to simulate a network cut). */
  dropConnection(): void {
    this.socket.io.engine?.close();
  }

  close(): void {
    this.subscriptions.clear();
    this.socket.close();
  }
}
