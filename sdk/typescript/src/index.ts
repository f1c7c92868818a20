export { asTrackJob, Codette, SessionHandle } from "./client.js";
export type {
  AnalyzeOptions,
  AnalyzeProgress,
  AnalyzeResult,
  Batch,
  CodetteOptions,
  Job,
  SessionResult,
  TrackAnalysis,
  TrackJob,
  SubmitOptions,
  Submitted,
  TrackType,
} from "./client.js";
export { CodetteError } from "./errors.js";
export type { EventMap, EventName, Handler, Schemas } from "./events.js";
export { Dedup, Emitter, EVENT_NAMES } from "./events.js";
export type { FileInput } from "./hash.js";
export { sha256Hex } from "./hash.js";
export type { Target } from "./live.js";
export type { components, paths } from "./generated/openapi.js";
