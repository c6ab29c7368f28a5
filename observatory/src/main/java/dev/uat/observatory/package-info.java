/**
 * The observatory: the platform's embedded trace backend. {@link dev.uat.observatory.Observatory}
 * starts the OTLP/HTTP and Zipkin receivers and the query port (Jaeger v1 and api_v3 APIs, UI,
 * alerts) over a bounded in-memory span store.
 *
 * <p>Subpackages: {@code model} (the span model), {@code store} (storage roles, search and the
 * in-memory store), {@code otlp} and {@code zipkin} (the receivers and their decoders), {@code
 * ingest} (admission control, the listeners' queue, the on-disk journal), {@code metrics} (RED and
 * GenAI figures, spanmetrics), {@code alerts} (rules, evaluation, Alertmanager), {@code query} (the
 * Jaeger APIs), {@code ui} (the web UI and its JSON).
 */
package dev.uat.observatory;
