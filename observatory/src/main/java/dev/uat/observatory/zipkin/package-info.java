/**
 * The Zipkin v2 receiver: {@code POST /api/v2/spans} with a JSON list of Zipkin spans, mapped to
 * the observatory's OpenTelemetry span model.
 */
package dev.uat.observatory.zipkin;
