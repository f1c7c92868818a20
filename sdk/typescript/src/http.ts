import { CodetteError } from "./errors.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  query?: Record<string, string | number | undefined>;
  auth?: boolean;
}

/** No answer: the message names the URL tried and why (Node's fetch says only "fetch failed"; the cause has the rest). */
function networkError(method: string, url: string, err: unknown): CodetteError {
  const cause = (err as { cause?: { message?: string } }).cause?.message;
  const why = `${(err as Error).message}${cause ? ` (${cause})` : ""}`;
  return new CodetteError(0, "network_error", `${method} ${url}: ${why}`);
}

/** REST calls with the bearer token; errors become CodetteError carrying the API's code. */
export class Http {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: FetchLike,
  ) {}

  url(path: string, query?: RequestOptions["query"]): string {
    const url = new URL(path, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** GET a binary resource (a WAV excerpt, say) with the bearer token; CodetteError on a 4xx/5xx. */
  async blob(path: string): Promise<Blob> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path), { headers: { Authorization: `Bearer ${this.token}` } });
    } catch (err) {
      throw networkError("GET", this.url(path), err);
    }
    if (!response.ok) {
      const data = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new CodetteError(
        response.status,
        data?.error?.code ?? `http_${response.status}`,
        data?.error?.message ?? `GET ${path} answered ${response.status}`,
      );
    }
    return response.blob();
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.Authorization = `Bearer ${this.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), { method, headers, body });
    } catch (err) {
      throw networkError(method, this.url(path, options.query), err);
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error ?? {};
      throw new CodetteError(
        response.status,
        error.code ?? `http_${response.status}`,
        error.message ?? `${method} ${path} answered ${response.status}`,
      );
    }
    return data as T;
  }
}
