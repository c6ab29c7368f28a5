/**
 * The query API on the observatory's UI port: Jaeger v1 ({@code /api/services}, {@code
 * /api/operations}, {@code /api/traces}, {@code /api/dependencies}) in the JSON shapes the Jaeger
 * UI and Grafana's Jaeger data source read, rendered from model spans with the
 * OpenTelemetry-to-Jaeger mapping of the OpenTelemetry Collector; and Jaeger api_v3 over HTTP
 * ({@code /api/v3/*}, OTLP/JSON).
 */
package dev.uat.observatory.query;
