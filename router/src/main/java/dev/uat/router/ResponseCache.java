package dev.uat.router;

import dev.uat.router.provider.ChatMessage;
import dev.uat.router.provider.ChatRequest;
import dev.uat.router.provider.ChatResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The exact-match response cache: answers keyed by the tenant (the account behind the token or
 * key), the model (or alias) asked for and the normalized request, so that no caller ever gets,
 * refreshes or learns of another account's entry. Implementations never throw and never block a
 * request for long: a cache that is down is a miss.
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

  /** Largest entry stored (estimated by {@link #weight}); a larger answer is not cached. */
  int MAX_ENTRY_BYTES = 1024 * 1024;

  /**
   * Estimated bytes of one entry: the key (64 hex chars: 2 bytes each plus 40), the answer's
   * strings (2 bytes a char plus 40 each) and the objects around them (about 200).
   */
  static int weight(String key, ChatResponse r) {
    long chars =
        (long) key.length()
            + r.content().length()
            + length(r.model())
            + length(r.id())
            + length(r.finishReason());
    return (int) Math.min(Integer.MAX_VALUE, 360 + 2 * chars);
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  /**
   * The key: SHA-256 over the tenant, the requested model and everything that shapes the answer
   * (messages, sampling parameters, stop sequences), each field separated so that no two requests
   * collide. The tenant makes every entry one account's own: two accounts sending the same prompt
   * have two entries, and {@code Cache-Control: no-cache} replaces only the caller's.
   *
   * @param tenant the caller's account ({@link Caller#userId()})
   */
  static String key(String tenant, String requestedModel, ChatRequest r) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder s = new StringBuilder(256);
    s.append("v2\u0000").append(tenant.length()).append(':').append(tenant).append('\u0000');
    s.append(requestedModel).append('\u0000');
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
