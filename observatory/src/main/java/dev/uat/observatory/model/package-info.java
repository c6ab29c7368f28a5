/**
 * The observatory's span model: immutable values decoded from OTLP (and later Zipkin), kept by the
 * store and rendered by the query API.
 *
 * <p>Identifiers are kept as primitive {@code long}s rather than strings (a 128-bit trace id is two
 * longs, a span id one), and a batch's {@link dev.uat.observatory.model.Resource} and {@link
 * dev.uat.observatory.model.InstrumentationScope} are shared by all of its spans, so that a stored
 * span costs little more than its attributes. Every type here is immutable and thread-safe.
 */
package dev.uat.observatory.model;
