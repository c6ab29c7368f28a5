/**
 * Figures derived from spans as they arrive: RED metrics (rate, errors, duration) per service and
 * operation, exported under the OpenTelemetry spanmetrics names and kept as a 30-minute time series
 * for the UI and the alert rules; GenAI statistics per provider and model.
 */
package dev.uat.observatory.metrics;
