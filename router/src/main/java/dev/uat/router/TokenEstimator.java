package dev.uat.router;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.uat.router.provider.ChatMessage;
import java.util.List;

/**
 * Counts tokens with a real BPE tokenizer ({@code cl100k_base}, the one of the GPT-4 family, via
 * JTokkit) when a provider reports none. For other model families this is an estimate, which is why
 * such counts are marked {@code estimated}. Message framing follows OpenAI's accounting: three
 * tokens per message plus three to prime the reply.
 *
 * <p>The vocabulary (~1.7 MB) is loaded once, on first use or by {@link #warmUp()}. Thread-safe.
 */
final class TokenEstimator {
  private static final int PER_MESSAGE = 3;
  private static final int REPLY_PRIMING = 3;

  private static final class Holder {
    static final Encoding ENCODING =
        Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
  }

  /** Loads the vocabulary in the background, so that the first estimate does not wait for it. */
  static void warmUp() {
    Thread.ofVirtual().name("uat-router-tokenizer").start(() -> Holder.ENCODING.countTokens("x"));
  }

  static int count(String text) {
    return text.isEmpty() ? 0 : Holder.ENCODING.countTokens(text);
  }

  static int input(List<ChatMessage> messages) {
    int total = REPLY_PRIMING;
    for (ChatMessage m : messages) {
      total += PER_MESSAGE + count(m.role()) + count(m.content());
    }
    return total;
  }

  static int inputs(List<String> texts) {
    int total = 0;
    for (String t : texts) {
      total += count(t);
    }
    return total;
  }

  private TokenEstimator() {}
}
