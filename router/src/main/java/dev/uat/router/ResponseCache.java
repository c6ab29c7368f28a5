package dev.uat.router;

import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The exact-match response cache: answers keyed by the model (or alias) asked for and the
 * normalized request. Implementations never throw and never block a request for long: a cache that
 * is down is a miss.
 */
interface ResponseCache extends AutoCloseable {
  /** The cached answer, or null. */
  ChatResponse get(String key);

  /** Stores an answer; may return before it is stored. */
  void put(String key, ChatResponse answer);

  /**
   * For readiness.
   *
   * @throws Exception when the cache cannot be used
   */
  default void check() throws Exception {}

  @Override
  void close();

  /**
   * The key: SHA-256 over the requested model and everything that shapes the answer (messages,
   * sampling parameters, stop sequences), each field separated so that no two requests collide.
   */
  static String key(String requestedModel, ChatRequest r) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder s = new StringBuilder(256);
    s.append("v1\u0000").append(requestedModel).append('\u0000');
    for (ChatMessage m : r.messages()) {
      s.append(m.role()).append('\u0001').append(m.content().length()).append(':');
      s.append(m.content()).append('\u0000');
    }
    s.append("t=").append(r.temperature()).append(";p=").append(r.topP());
    s.append(";m=").append(r.maxTokens()).append(";s=").append(r.seed());
    s.append(";f=").append(r.frequencyPenalty()).append(";r=").append(r.presencePenalty());
    for (String stop : r.stop()) {
      s.append(";x=").append(stop.length()).append(':').append(stop);
    }
    return HexFormat.of().formatHex(sha.digest(s.toString().getBytes(StandardCharsets.UTF_8)));
  }
}
