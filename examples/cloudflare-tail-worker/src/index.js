// Tailhouse reference tail worker.
//
// Attach it as a tail consumer of your Workers. For every batch of tail events it POSTs
// `JSON.stringify(events)` (gzip-compressed) to Tailhouse's `/v1/tail` with the shared bearer
// token. Delivery runs inside `ctx.waitUntil`, so the runtime keeps the worker alive while it
// retries. 429 and 5xx answers (and network errors) are retried with exponential backoff and
// jitter, honouring `Retry-After`; after MAX_ATTEMPTS, or on any other 4xx (retrying a refused
// body cannot help), the batch is dropped and the drop is logged with what it contained.
//
// Configuration (wrangler `[vars]` and secrets):
//   TAILHOUSE_URL    e.g. https://tailhouse.example.com/v1/tail            (required)
//   TAILHOUSE_TOKEN  the receiver's `auth.bearer_token`; set with `wrangler secret put`
//   MAX_ATTEMPTS     attempts per batch before giving up (default 5)
//   BASE_DELAY_MS    first backoff delay in milliseconds (default 500; doubles per attempt)
//   MAX_DELAY_MS     cap of one backoff delay (default 10000)
//   COMPRESS         "false" to send the body uncompressed (default: gzip)

const RETRYABLE = (status) => status === 429 || status >= 500;

function intVar(value, fallback) {
  const n = Number.parseInt(value ?? "", 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

// A short description of a batch for the drop log: how many events of which scripts and outcomes.
function describe(events) {
  const counts = {};
  for (const e of events) {
    const key = `${e.scriptName ?? "(unnamed)"}:${e.outcome}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

// Delay before the next attempt: the server's Retry-After when given, else backoff with jitter.
function backoff(attempt, response, baseMs, maxMs) {
  const retryAfter = response?.headers.get("retry-after");
  const seconds = retryAfter ? Number.parseFloat(retryAfter) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, maxMs);
  const exp = Math.min(baseMs * 2 ** (attempt - 1), maxMs);
  return exp / 2 + Math.random() * (exp / 2);
}

export async function forward(events, env) {
  if (!events.length) return { delivered: 0 };
  if (!env.TAILHOUSE_URL) {
    console.error("tailhouse: TAILHOUSE_URL is not set; dropped", events.length, "events", describe(events));
    return { dropped: events.length };
  }
  const maxAttempts = intVar(env.MAX_ATTEMPTS, 5);
  const baseMs = intVar(env.BASE_DELAY_MS, 500);
  const maxMs = intVar(env.MAX_DELAY_MS, 10000);
  const compress = env.COMPRESS !== "false";
  const json = JSON.stringify(events);
  const body = compress ? await gzip(json) : json;
  const headers = { "content-type": "application/json" };
  if (compress) headers["content-encoding"] = "gzip";
  if (env.TAILHOUSE_TOKEN) headers["authorization"] = `Bearer ${env.TAILHOUSE_TOKEN}`;

  let lastProblem = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let response;
    try {
      response = await fetch(env.TAILHOUSE_URL, { method: "POST", headers, body });
    } catch (err) {
      lastProblem = `network error: ${err}`;
    }
    if (response) {
      const text = await response.text();
      if (response.ok) {
        // 200 may still report single items Tailhouse refused; those will not improve on retry.
        try {
          const result = JSON.parse(text);
          if (result.rejected > 0) console.warn("tailhouse: rejected items", JSON.stringify(result.errors));
        } catch {
          // A body that is not JSON is not an error of the delivery.
        }
        return { delivered: events.length, attempts: attempt };
      }
      lastProblem = `HTTP ${response.status}: ${text.slice(0, 300)}`;
      if (!RETRYABLE(response.status)) break;
    }
    if (attempt < maxAttempts) await sleep(backoff(attempt, response, baseMs, maxMs));
  }
  console.error("tailhouse: dropped", events.length, "events after giving up:", lastProblem, JSON.stringify(describe(events)));
  return { dropped: events.length, reason: lastProblem };
}

export default {
  async tail(events, env, ctx) {
    ctx.waitUntil(forward(events, env));
  },
};
