/**
 * The observatory: the platform's embedded trace backend. {@link dev.uat.observatory.Observatory}
 * starts an OTLP/HTTP receiver and a Jaeger-compatible query API over a bounded in-memory span
 * store.
 *
 * <p>Subpackages: {@code model} (the span model), {@code store} (storage roles and the in-memory
 * store), {@code otlp} (the receiver and its decoders), {@code query} (the query API).
 */
package dev.uat.observatory;
