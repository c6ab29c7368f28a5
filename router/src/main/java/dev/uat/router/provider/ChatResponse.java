package dev.uat.router.provider;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A provider's answer to a {@link ChatRequest}.
 *
 * @param id the response id ({@code chatcmpl-…}); providers without ids make one with {@link
 *     #newId()}
 * @param model the model that answered, as the provider names it
 * @param content the assistant's text
 * @param finishReason why generation stopped: {@code stop}, {@code length}, or what the upstream
 *     said
 * @param inputTokens prompt tokens, or {@link #UNKNOWN}
 * @param outputTokens generated tokens, or {@link #UNKNOWN}
 * @param created when the answer was made, in epoch seconds
 * @param tokensEstimated whether the token counts are the router's estimate rather than the
 *     provider's report
 */
public record ChatResponse(
    String id,
    String model,
    String content,
    String finishReason,
    int inputTokens,
    int outputTokens,
    long created,
    boolean tokensEstimated) {
  /** A token count the provider did not report. */
  public static final int UNKNOWN = -1;

  public ChatResponse {
    requireNonNull(id, "id");
    requireNonNull(model, "model");
    requireNonNull(content, "content");
    requireNonNull(finishReason, "finishReason");
  }

  /** Whether both token counts are known. */
  public boolean hasUsage() {
    return inputTokens >= 0 && outputTokens >= 0;
  }

  /** This answer with estimated token counts in place of the unknown ones. */
  public ChatResponse withEstimatedTokens(int input, int output) {
    return new ChatResponse(
        id,
        model,
        content,
        finishReason,
        inputTokens >= 0 ? inputTokens : input,
        outputTokens >= 0 ? outputTokens : output,
        created,
        true);
  }

  /** This answer given again (from a cache): a new id, made now. */
  public ChatResponse reissued() {
    return new ChatResponse(
        newId(),
        model,
        content,
        finishReason,
        inputTokens,
        outputTokens,
        java.time.Instant.now().getEpochSecond(),
        tokensEstimated);
  }

  /** A fresh OpenAI-style completion id. */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return "chatcmpl-"
        + Long.toHexString(random.nextLong() | Long.MIN_VALUE)
        + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
  }

  @Override
  public String toString() {
    return "ChatResponse{"
        + id
        + ", "
        + model
        + ", "
        + finishReason
        + ", "
        + content.length()
        + " chars}";
  }
}
