import { CodetteError } from "./errors.js";
import type { EventName, Handler, Schemas } from "./events.js";
import { canHash, type FileInput, type NamedBlob, sha256Hex, toNamedBlob } from "./hash.js";
import { type FetchLike, Http } from "./http.js";
import { Live, type Target } from "./live.js";

export type Job = Schemas["Job"];
export type TrackAnalysis = Schemas["TrackAnalysis"];
export type SessionResult = Schemas["SessionResult"];
/** A track job (what `analyze` resolves with): its result, when done, is a TrackAnalysis. */
export type TrackJob = Omit<Job, "result"> & { result?: TrackAnalysis | null };

/** `job` with its result typed as a TrackAnalysis; CodetteError when it is another kind of job. */
export function asTrackJob(job: Job): TrackJob {
  if (job.kind !== undefined && job.kind !== "track") {
    throw new CodetteError(0, "invalid_parameter", `job ${job.job_id} is a ${job.kind} job, not a track job`);
  }
  return job as TrackJob;
}
export type Batch = Schemas["Batch"];
export type TrackType = Schemas["TrackSubmission"]["type"];

export interface CodetteOptions {
  /** The server's base URL, e.g. http://127.0.0.1:5000 */
  url: string;
  /** A bearer token (CODETTE_API_TOKENS, or the one `make run` prints). */
  token: string;
  /** A fetch implementation; defaults to the global one (browsers, Node >= 18). */
  fetch?: FetchLike;
  /** Files from this size on go straight to object storage where the server has one (default 8 MiB). */
  directUploadBytes?: number;
}

export type AnalyzeProgress =
  | { phase: "hash"; file: string; index: number; bytes: number; total: number }
  | { phase: "upload"; file: string; index: number; bytes: number; total: number }
  | { phase: "submitted"; batch_id: string; uploaded: number; reused: number }
  | { phase: "analyze"; job_id: string; file: string; progress: number; stage: string };

export interface SubmitOptions {
  /** One type per file (same order), e.g. "kick"; "" or omitted = unknown. */
  trackTypes?: (TrackType | "")[];
  onProgress?: (progress: AnalyzeProgress) => void;
}

export interface AnalyzeOptions extends SubmitOptions {
  /** Reject when every job has not finished in this time (default 30 minutes). */
  timeoutMs?: number;
}

/** The queued batch (POST /api/v1/analyses's answer), with what was sent and what was reused. */
export type Submitted = Schemas["BatchCreated"] & { uploaded: number; reused: number };

export interface AnalyzeResult {
  batch_id: string;
  /** The finished jobs (REST's state, fetched once each job is done or failed), in file order. */
  jobs: TrackJob[];
  /** How many files were sent, and how many the server already had (by sha256). */
  uploaded: number;
  reused: number;
}

/** A session of tracks: its document, analysis, DAW context, suggestions and previews. */
export class SessionHandle {
  constructor(
    private readonly client: Codette,
    readonly id: string,
  ) {}

  private path(suffix = ""): string {
    return `/api/v1/sessions/${encodeURIComponent(this.id)}${suffix}`;
  }

  put(doc: Schemas["Session"]): Promise<Schemas["StoredSession"]> {
    return this.client.http.request("PUT", this.path(), { json: doc });
  }

  /** Queue the session analysis; resolves with its job id (follow it with `waitForJob`). */
  analyze(): Promise<Schemas["JobCreated"]> {
    return this.client.http.request("POST", this.path("/analyze"));
  }

  analysis(): Promise<Job> {
    return this.client.http.request("GET", this.path("/analysis"));
  }

  context(update: Schemas["ContextUpdate"]): Promise<Schemas["ContextResult"]> {
    return this.client.http.request("POST", this.path("/context"), { json: update });
  }

  getContext(): Promise<Schemas["ContextState"]> {
    return this.client.http.request("GET", this.path("/context"));
  }

  suggestions(options: { limit?: number } = {}): Promise<Schemas["Suggestions"]> {
    return this.client.http.request("GET", this.path("/suggestions"), { query: { limit: options.limit } });
  }

  /**
   * Render these suggested moves together on the session's stems and measure before/after; resolves
   * with the preview job (follow it with `waitForJob`, listen with `previewAudio`).
   */
  preview(suggestionIds: string[]): Promise<Schemas["PreviewCreated"]> {
    const body: Schemas["SessionPreviewRequest"] = { suggestion_ids: suggestionIds };
    return this.client.http.request("POST", this.path("/preview"), { json: body });
  }

  /** How the user works in this session (pattern, efficiency and its reasons, tips), from the DAW's actions. */
  workflow(): Promise<Schemas["SessionWorkflow"]> {
    return this.client.http.request("GET", this.path("/workflow"));
  }

  /** Subscribe to this session's events (session.done, context.changed, ...). */
  subscribe(): Promise<unknown> {
    return this.client.live.subscribe({ session_id: this.id });
  }
}

/**
 * The Codette API for front ends.
 *
 *     const codette = new Codette({ url, token });
 *     const { jobs } = await codette.analyze(files, { trackTypes: ["kick", "bass"] });
 */
export class Codette {
  readonly http: Http;
  private liveConnection: Live | null = null;

  private readonly fetchImpl: FetchLike;
  private readonly directUploadBytes: number;
  private directUploads = true;

  constructor(private readonly options: CodetteOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.http = new Http(options.url, options.token, this.fetchImpl);
    this.directUploadBytes = options.directUploadBytes ?? 8 * 1024 * 1024;
  }

  /** The Socket.IO connection, opened on first use. */
  get live(): Live {
    this.liveConnection ??= new Live(this.options.url, this.options.token);
    return this.liveConnection;
  }

  on<E extends EventName>(event: E, handler: Handler<E>): () => void {
    return this.live.on(event, handler);
  }

  subscribe(target: Target): Promise<unknown> {
    return this.live.subscribe(target);
  }

  close(): void {
    this.liveConnection?.close();
    this.liveConnection = null;
  }

  job(id: string): Promise<Job> {
    return this.http.request("GET", `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  batch(id: string): Promise<Batch> {
    return this.http.request("GET", `/api/v1/batches/${encodeURIComponent(id)}`);
  }

  session(id: string): SessionHandle {
    return new SessionHandle(this, id);
  }

  feedback(body: Schemas["Feedback"]): Promise<Schemas["FeedbackCreated"]> {
    return this.http.request("POST", "/api/v1/feedback", { json: body });
  }

  ask(body: Schemas["AskRequest"]): Promise<Schemas["AskAnswer"]> {
    return this.http.request("POST", "/api/v1/ask", { json: body });
  }

  learningReport(): Promise<Schemas["LearningReport"]> {
    return this.http.request("GET", "/api/v1/users/me/learning-report");
  }

  /** Your learning data (feedback log, profile, style sessions): a backup, or a move to another server. */
  exportLearning(): Promise<Schemas["LearningData"]> {
    return this.http.request("GET", "/api/v1/users/me/learning-data");
  }

  /** Replace your learning data with an export of your own (validated; 422 naming what is wrong). */
  importLearning(data: Schemas["LearningData"]): Promise<Schemas["LearningData"]> {
    return this.http.request("PUT", "/api/v1/users/me/learning-data", { json: data });
  }

  /** The production style learnt from your analysed sessions. */
  style(): Promise<Schemas["UserStyle"]> {
    return this.http.request("GET", "/api/v1/users/me/style");
  }

  /** Compare blob `b` with the reference `a` (both uploaded by you); resolves with the compare job. */
  compare(a: string, b: string): Promise<Schemas["JobCreated"]> {
    const body: Schemas["CompareRequest"] = { a, b };
    return this.http.request("POST", "/api/v1/compare", { json: body });
  }

  /** Render one suggestion on its track and measure before/after; resolves with the preview job. */
  previewSuggestion(suggestionId: string): Promise<Schemas["PreviewCreated"]> {
    return this.http.request("POST", `/api/v1/suggestions/${encodeURIComponent(suggestionId)}/preview`);
  }

  /** A finished preview's loudness-matched excerpt, before or after the move (WAV). */
  previewAudio(jobId: string, which: "before" | "after"): Promise<Blob> {
    return this.http.blob(`/api/v1/previews/${encodeURIComponent(jobId)}/${which}.wav`);
  }

  /** Which of these sha256 the server still needs from this user (blobs are per owner). */
  async missing(sha256: string[]): Promise<string[]> {
    const body: Schemas["BlobQuery"] = { sha256 };
    const answer = await this.http.request<Schemas["BlobsMissing"]>("POST", "/api/v1/blobs/missing", {
      json: body,
    });
    return answer.missing;
  }

  /**
   * Upload one file into the blob store; resolves with its sha256. Files from `directUploadBytes`
   * on go straight to object storage by presigned multipart URLs where the server offers them
   * (a part that fails is sent again after asking which arrived), else through the API.
   */
  async upload(file: NamedBlob, sha256?: string): Promise<string> {
    if (sha256 !== undefined && this.directUploads && file.blob.size >= this.directUploadBytes) {
      const stored = await this.uploadDirect(file, sha256);
      if (stored !== null) return stored;
      this.directUploads = false; // no object store behind this server: through the API from now on
    }
    const form = new FormData();
    form.append("file", file.blob, file.name);
    const created = await this.http.request<Schemas["BlobCreated"]>("POST", "/api/v1/blobs", { body: form });
    return created.sha256;
  }

  private async uploadDirect(file: NamedBlob, sha256: string): Promise<string | null> {
    const start: Schemas["BlobUploadStart"] = { sha256, size: file.blob.size };
    let upload: Schemas["BlobUpload"];
    try {
      upload = await this.http.request("POST", "/api/v1/blobs/uploads", { json: start });
    } catch (err) {
      if (err instanceof CodetteError && err.code === "direct_uploads_unavailable") return null;
      throw err;
    }
    const ref: Schemas["BlobUploadComplete"] = {
      sha256: upload.sha256,
      size: upload.size,
      key: upload.key,
      upload_id: upload.upload_id,
    };
    let urls = new Map(upload.part_urls.map((url, i) => [i + 1, url] as const));
    for (let round = 0; round < 3 && urls.size > 0; round += 1) {
      for (const [part, url] of urls) {
        const body = file.blob.slice((part - 1) * upload.part_bytes, part * upload.part_bytes);
        // A failed part is found missing below and sent again with a fresh URL.
        await this.fetchImpl(url, { method: "PUT", body }).catch(() => undefined);
      }
      const resume: Schemas["BlobUploadResume"] = { ...ref, part_bytes: upload.part_bytes };
      const parts = await this.http.request<Schemas["BlobUploadParts"]>("POST", "/api/v1/blobs/uploads/parts", {
        json: resume,
      });
      urls = new Map(Object.entries(parts.part_urls).map(([n, url]) => [Number(n), url] as const));
    }
    const stored = await this.http.request<Schemas["BlobStored"]>("POST", "/api/v1/blobs/uploads/complete", {
      json: ref,
    });
    return stored.sha256;
  }

  /**
   * Hash locally, upload only what the server lacks and submit the batch by hash; resolves with the
   * batch and its jobs as soon as they are queued (follow them with events, `batch` or `waitForJob`).
   */
  async submit(files: FileInput[], options: SubmitOptions = {}): Promise<Submitted> {
    const types = options.trackTypes ?? files.map(() => "" as const);
    if (types.length !== files.length) {
      throw new CodetteError(0, "invalid_parameter", `${types.length} track types for ${files.length} files`);
    }
    const report = options.onProgress ?? (() => undefined);
    const blobs = await Promise.all(files.map(toNamedBlob));
    if (!canHash()) return this.submitUploading(blobs, types, report);
    const hashes: string[] = [];
    for (const [index, { name, blob }] of blobs.entries()) {
      hashes.push(
        await sha256Hex(blob, (bytes) => report({ phase: "hash", file: name, index, bytes, total: blob.size })),
      );
    }
    const missing = new Set(await this.missing([...new Set(hashes)]));
    let uploaded = 0;
    for (const [index, file] of blobs.entries()) {
      const sha = hashes[index] as string;
      if (!missing.has(sha)) continue;
      report({ phase: "upload", file: file.name, index, bytes: 0, total: file.blob.size });
      const stored = await this.upload(file, sha).catch((err: unknown) => {
        // Name the file: a direct upload's answer (413 file_too_large, say) only knows its size.
        if (err instanceof CodetteError && !err.message.includes(file.name)) {
          throw new CodetteError(err.status, err.code, `${file.name}: ${err.message}`);
        }
        throw err;
      });
      if (stored !== sha) {
        throw new CodetteError(0, "hash_mismatch", `${file.name}: server stored ${stored}, expected ${sha}`);
      }
      missing.delete(sha);
      uploaded += 1;
      report({ phase: "upload", file: file.name, index, bytes: file.blob.size, total: file.blob.size });
    }
    const tracks = blobs.map((file, index) => ({
      sha256: hashes[index] as string,
      name: file.name,
      type: (types[index] ?? "") as TrackType,
    }));
    const request: Schemas["AnalysesRequest"] = { tracks };
    const created = await this.http.request<Schemas["BatchCreated"]>("POST", "/api/v1/analyses", {
      json: request,
    });
    const reused = files.length - uploaded;
    report({ phase: "submitted", batch_id: created.batch_id, uploaded, reused });
    return { ...created, uploaded, reused };
  }

  /** Without a local hash (a page served over plain http, not localhost): upload with the request. */
  private async submitUploading(
    blobs: NamedBlob[],
    types: (TrackType | "")[],
    report: (progress: AnalyzeProgress) => void,
  ): Promise<Submitted> {
    const form = new FormData();
    for (const [index, file] of blobs.entries()) {
      report({ phase: "upload", file: file.name, index, bytes: 0, total: file.blob.size });
      form.append("files", file.blob, file.name);
    }
    form.append("track_types", JSON.stringify(types));
    const created = await this.http.request<Schemas["BatchCreated"]>("POST", "/api/v1/analyses", { body: form });
    for (const [index, file] of blobs.entries()) {
      report({ phase: "upload", file: file.name, index, bytes: file.blob.size, total: file.blob.size });
    }
    report({ phase: "submitted", batch_id: created.batch_id, uploaded: blobs.length, reused: 0 });
    return { ...created, uploaded: blobs.length, reused: 0 };
  }

  /** `submit`, then wait for every job: resolves with each job's final state (REST), in file order. */
  async analyze(files: FileInput[], options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
    const report = options.onProgress ?? (() => undefined);
    const created = await this.submit(files, options);
    const names = new Map(created.jobs.map((job) => [job.job_id, job.name]));
    const jobs = await this.waitForJobs(
      { batch_id: created.batch_id },
      created.jobs.map((job) => job.job_id),
      (job_id, progress, stage) =>
        report({ phase: "analyze", job_id, file: names.get(job_id) ?? "", progress, stage }),
      options.timeoutMs,
    );
    return { batch_id: created.batch_id, jobs: jobs.map(asTrackJob), uploaded: created.uploaded, reused: created.reused };
  }

  /** Wait until a job is done or failed (events, with REST as the source of truth); its final state. */
  async waitForJob(jobId: string, options: { timeoutMs?: number } = {}): Promise<Job> {
    const [job] = await this.waitForJobs({ job_id: jobId }, [jobId], () => undefined, options.timeoutMs);
    return job as Job;
  }

  private async waitForJobs(
    target: Target,
    jobIds: string[],
    onProgress: (jobId: string, progress: number, stage: string) => void,
    timeoutMs = 30 * 60_000,
  ): Promise<Job[]> {
    const pending = new Set(jobIds);
    let wake: () => void = () => undefined;
    const offs = [
      this.on("job.progress", (e) => {
        if (pending.has(e.job_id)) onProgress(e.job_id, e.progress, e.stage);
      }),
      this.on("job.done", (e) => {
        if (pending.delete(e.job_id)) wake();
      }),
      this.on("job.failed", (e) => {
        if (pending.delete(e.job_id)) wake();
      }),
    ];
    const deadline = Date.now() + timeoutMs;
    try {
      await this.subscribe(target).catch(() => undefined); // REST polling below still finishes the wait
      while (pending.size > 0) {
        if (Date.now() > deadline) {
          throw new CodetteError(0, "timeout", `${pending.size} job(s) unfinished after ${timeoutMs} ms`);
        }
        // Events wake us at once; a slow REST check every 5 s covers a connection that stays down.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 5000);
        });
        if (pending.size > 0) {
          for (const id of [...pending]) {
            const job = await this.job(id);
            if (job.status === "done" || job.status === "failed") pending.delete(id);
          }
        }
      }
      return await Promise.all(jobIds.map((id) => this.job(id)));
    } finally {
      for (const off of offs) off();
    }
  }
}
