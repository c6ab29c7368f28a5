/**
 * Alert rules over the RED metrics of the spans received: loaded from a YAML file in the data
 * directory (written with the shipped defaults when absent), evaluated continuously, listed at
 * {@code GET /api/alerts} and pushed to an Alertmanager when one is configured.
 */
package dev.uat.observatory.alerts;
