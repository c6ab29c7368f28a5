/**
 * The LLM router: an OpenAI-compatible API ({@code POST /v1/chat/completions}, {@code GET
 * /v1/models}) in front of one provider — Ollama, any OpenAI-compatible server, or the built-in
 * echo — with model discovery and OpenTelemetry GenAI spans and metrics.
 *
 * <p>Start one with {@link dev.uat.router.Router#start(RouterSettings,
 * dev.uat.telemetry.Telemetry)}.
 */
package dev.uat.router;
