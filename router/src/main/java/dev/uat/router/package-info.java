/**
 * The LLM router: an OpenAI-compatible API ({@code POST /v1/chat/completions} whole or streamed,
 * {@code POST /v1/embeddings}, {@code GET /v1/models}) in front of provider instances — Ollama,
 * OpenAI-compatible servers, the built-in echo — with aliases and fallback chains, retries under a
 * budget, circuit breakers, latency-aware selection, per-caller limits, an exact-match response
 * cache per account (Caffeine or Redis), usage records (H2 or PostgreSQL) and OpenTelemetry GenAI
 * spans and metrics.
 *
 * <p>Start one with {@link dev.uat.router.Router#start(RouterSettings, dev.uat.telemetry.Telemetry,
 * dev.uat.auth.Credentials)} (credentials from {@link dev.uat.router.Router#credentials});
 * configure it with {@link dev.uat.router.RouterSettings} and, optionally, a {@link
 * dev.uat.router.RouterConfig} file. Everything else is package-private.
 */
package dev.uat.router;
