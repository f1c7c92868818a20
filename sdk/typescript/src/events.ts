import type { components } from "./generated/openapi.js";

export type Schemas = components["schemas"];

/** Socket.IO events the server sends, by name, with their payloads (from the served schemas). */
export interface EventMap {
  "job.progress": Schemas["JobProgressEvent"];
  "job.done": Schemas["JobDoneEvent"];
  "job.failed": Schemas["JobFailedEvent"];
  "batch.done": Schemas["BatchDoneEvent"];
  "session.done": Schemas["SessionDoneEvent"];
  "context.changed": Schemas["ContextChangedEvent"];
  "workflow.changed": Schemas["WorkflowChangedEvent"];
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = [
  "job.progress",
  "job.done",
  "job.failed",
  "batch.done",
  "session.done",
  "context.changed",
  "workflow.changed",
];

export type Handler<E extends EventName> = (payload: EventMap[E]) => void;

/** A small typed emitter: `on` returns the function that removes the handler. */
export class Emitter {
  private readonly handlers = new Map<EventName, Set<(payload: never) => void>>();

  on<E extends EventName>(event: E, handler: Handler<E>): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as (payload: never) => void);
    return () => set?.delete(handler as (payload: never) => void);
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const handler of this.handlers.get(event) ?? []) (handler as Handler<E>)(payload);
  }
}

/**
 * Drops what a replay repeats: a subscription (and every re-subscription after a reconnect) first
 * replays the current state, so the same terminal event can arrive twice; each is passed on once.
 */
export class Dedup {
  private readonly seen = new Set<string>();
  private readonly finishedJobs = new Set<string>();

  /** True when the event is new and should be delivered. */
  admit<E extends EventName>(event: E, payload: EventMap[E]): boolean {
    const p = payload as Record<string, unknown>;
    let key: string | null = null;
    switch (event) {
      case "job.progress":
        return !this.finishedJobs.has(String(p.job_id));
      case "job.done":
      case "job.failed":
        key = `job:${String(p.job_id)}`;
        if (this.seen.has(key)) return false;
        this.finishedJobs.add(String(p.job_id));
        break;
      case "batch.done":
        key = `batch:${String(p.batch_id)}`;
        break;
      case "session.done":
        key = `session:${String(p.session_id)}:${String(p.job_id)}`;
        break;
      case "context.changed":
        key = `context:${String(p.session_id)}:${String(p.version)}`;
        break;
      default:
        return true;
    }
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}
