/**
 * The provider contract of the LLM router and its built-in implementations.
 *
 * <p>A {@link dev.uat.router.provider.Provider} turns one {@link
 * dev.uat.router.provider.ChatRequest} into one {@link dev.uat.router.provider.ChatResponse}, or
 * fails with a {@link dev.uat.router.provider.ProviderException} that says what went wrong in words
 * a caller can act on. Implementations: {@link dev.uat.router.provider.OllamaProvider} (Ollama's
 * native API), {@link dev.uat.router.provider.OpenAiProvider} (any OpenAI-compatible server) and
 * {@link dev.uat.router.provider.EchoProvider} (built in, no network).
 *
 * <p>Providers know nothing about telemetry beyond the traced HTTP client they are given; the
 * router wraps every call in a GenAI span.
 */
package dev.uat.router.provider;
