// Sends one Worker-like invocation (a server span, a fetch child span, console logs) to an OTLP/HTTP
// endpoint with the official OpenTelemetry JS exporters, which encode OTLP as JSON.
// Usage: node export.mjs <base url> <bearer token> <run id>; prints {"traceId": ..., "spanId": ...}.
import { context, diag, DiagConsoleLogger, DiagLogLevel, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const [baseUrl, token, runId] = process.argv.slice(2);
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const headers = { Authorization: `Bearer ${token}` };
// The resource attributes Workers Observability puts on everything it exports.
const resource = resourceFromAttributes({
  "service.name": `js-worker-${runId}`,
  "cloud.provider": "cloudflare",
  "cloud.platform": "cloudflare.workers",
  "faas.name": `js-worker-${runId}`,
  "cloudflare.script_name": `js-worker-${runId}`,
  "cloudflare.script_tags": ["team:checkout", "canary"],
  "cloudflare.script_version.id": "4d2c5b9e-0000-4000-8000-000000000001",
  "telemetry.sdk.language": "javascript",
});

let failures = 0;
const checked = (exporter) => ({
  export(items, done) {
    exporter.export(items, (result) => {
      if (result.code !== 0) {
        failures += 1;
        console.error(`export failed: ${result.error}`);
      }
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
});

const traceExporter = checked(new OTLPTraceExporter({ url: `${baseUrl}/v1/traces`, headers }));
const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(traceExporter)] });
const logExporter = checked(new OTLPLogExporter({ url: `${baseUrl}/v1/logs`, headers }));
const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor(logExporter)] });

const tracer = tracerProvider.getTracer("cloudflare", "1.0.0");
const root = tracer.startSpan("fetch", {
  kind: SpanKind.SERVER,
  attributes: {
    "faas.trigger": "http",
    "cloudflare.ray_id": `8f1a2b3c4d5e6f70-LHR`,
    "cloudflare.colo": "LHR",
    "cloudflare.invocation.sequence.number": 1,
    "http.request.method": "POST",
    "url.full": "https://shop.example.com/checkout?step=2",
    "http.response.status_code": 500,
    "cloudflare.cpu_time_ms": 1.25,
    "cloudflare.retried": false,
    "ratio.nan": NaN,
  },
});
const ctx = trace.setSpan(context.active(), root);
const child = tracer.startSpan("kv_get", { kind: SpanKind.CLIENT, attributes: { "cloudflare.binding.name": "CART", "db.operation.name": "get" } }, ctx);
child.end();
const logger = loggerProvider.getLogger("console");
logger.emit({ severityNumber: SeverityNumber.INFO, severityText: "log", body: "cart loaded", attributes: { "cloudflare.colo": "LHR" }, context: ctx });
logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: "error", body: { msg: "payment declined", user_id: 123 }, attributes: { "exception.type": "PaymentError" }, context: ctx });
root.setStatus({ code: SpanStatusCode.ERROR, message: "payment declined" });
root.end();

await tracerProvider.forceFlush();
await loggerProvider.forceFlush();
await tracerProvider.shutdown();
await loggerProvider.shutdown();
console.log(JSON.stringify({ traceId: root.spanContext().traceId, spanId: root.spanContext().spanId }));
process.exit(failures ? 1 : 0);
