package dev.uat.router;

import dev.uat.router.provider.ChatStream;
import java.util.List;

/**
 * One cross-cutting step of a chat request (limits, accounting, cache, routing), in the manner of
 * okhttp's interceptors: it may answer itself, or pass the exchange on with {@link
 * Chain#proceed(Exchange)} and act on the answer — usually by wrapping the returned stream, since
 * an answer may still be arriving when {@code intercept} returns.
 *
 * <p>Implementations are thread-safe; they never block except where their job is to (routing waits
 * for upstreams).
 */
@FunctionalInterface
interface ChatInterceptor {
  ChatStream intercept(Exchange exchange, Chain chain);

  /** The rest of the chain. */
  @FunctionalInterface
  interface Chain {
    ChatStream proceed(Exchange exchange);
  }

  /** Runs {@code interceptors} in order; the last must answer without calling on. */
  static Chain chain(List<ChatInterceptor> interceptors) {
    List<ChatInterceptor> all = List.copyOf(interceptors);
    return new Chain() {
      @Override
      public ChatStream proceed(Exchange exchange) {
        return at(0, exchange);
      }

      private ChatStream at(int index, Exchange exchange) {
        if (index >= all.size()) {
          throw new IllegalStateException("the last interceptor must answer");
        }
        return all.get(index).intercept(exchange, next -> at(index + 1, next));
      }
    };
  }
}
