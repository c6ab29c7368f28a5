/**
 * The OpenAI chat-completions wire format, as records: what the router accepts on {@code
 * /v1/chat/completions} and {@code /v1/models}, and what it sends to OpenAI-compatible upstreams.
 * Field names are snake_case on the wire; {@code null} fields are left out when written.
 */
package dev.uat.router.openai;
