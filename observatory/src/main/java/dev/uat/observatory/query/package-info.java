/**
 * The query API on the observatory's UI port, in the JSON shapes of the Jaeger v1 query service
 * (what the Jaeger UI and Grafana's Jaeger data source read), rendered from model spans with the
 * OpenTelemetry-to-Jaeger mapping of the OpenTelemetry Collector.
 */
package dev.uat.observatory.query;
