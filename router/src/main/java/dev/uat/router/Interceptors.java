package dev.uat.router;

import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.ChatStream;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.time.Instant;

/** The router's interceptors, in chain order: limits, accounting, cache, routing. */
final class Interceptors {
  private Interceptors() {}

  /** Admits a request under its caller's limits; charges its tokens when it ends. */
  static ChatInterceptor rateLimit(RateLimiter limiter) {
    return (exchange, chain) -> {
      limiter.admit(exchange.caller);
      return new ForwardingStream(chain.proceed(exchange)) {
        @Override
        void completed(ChatResponse r) {
          if (!exchange.cacheHit()) {
            limiter.charge(exchange.caller, Math.max(0, r.inputTokens() + r.outputTokens()));
          }
        }
      };
    };
  }

  /** Records what every request used, answered or not, for the background writer. */
  static ChatInterceptor accounting(UsageRecorder recorder) {
    return (exchange, chain) -> {
      ChatStream stream;
      try {
        stream = chain.proceed(exchange);
      } catch (HttpError e) {
        recorder.record(record(exchange, null, e.code()));
        throw e;
      } catch (ProviderException e) {
        recorder.record(record(exchange, null, OpenAiEndpoints.toHttpError(e).code()));
        throw e;
      }
      return new ForwardingStream(stream) {
        @Override
        void completed(ChatResponse r) {
          recorder.record(record(exchange, r, "ok"));
        }

        @Override
        void failed(RuntimeException e) {
          recorder.record(
              record(
                  exchange,
                  null,
                  e instanceof ProviderException p
                      ? OpenAiEndpoints.toHttpError(p).code()
                      : "internal_error"));
        }

        @Override
        void abandoned() {
          recorder.record(record(exchange, null, "cancelled"));
        }
      };
    };
  }

  private static UsageRecord record(Exchange x, ChatResponse r, String status) {
    String traceId = Span.current().getSpanContext().getTraceId();
    return new UsageRecord(
        Instant.now(),
        "chat",
        x.caller.keyId(),
        x.caller.userId(),
        x.route.requested(),
        r == null ? null : r.model(),
        x.answeredBy,
        r == null ? 0 : Math.max(0, r.inputTokens()),
        r == null ? 0 : Math.max(0, r.outputTokens()),
        r != null && r.tokensEstimated(),
        (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - x.startNanos) / 1_000_000),
        x.cacheHit(),
        status,
        Span.current().getSpanContext().isValid() ? traceId : null);
  }

  /**
   * Answers from the cache when it can; stores complete fresh answers. Entries are the caller's
   * account's own ({@link ResponseCache#key}): a hit is always an answer to the same account, and a
   * refresh ({@code no-cache}) replaces only its entry. Routes through a provider instance with
   * {@code cache: false} (echo, by default) are neither looked up nor stored.
   */
  static ChatInterceptor cache(ResponseCache cache, RouterMetrics metrics) {
    return (exchange, chain) -> {
      if (exchange.cachePolicy == Exchange.CachePolicy.BYPASS || !exchange.route.cacheable()) {
        exchange.cacheStatus = "bypass";
        return chain.proceed(exchange);
      }
      String key =
          ResponseCache.key(exchange.caller.userId(), exchange.route.requested(), exchange.request);
      if (exchange.cachePolicy == Exchange.CachePolicy.USE) {
        ChatResponse cached = cache.get(key); // the router's own work: counted as overhead
        metrics.cache(cached != null);
        if (cached != null) {
          exchange.cacheStatus = "hit";
          exchange.answeredBy = "cache";
          Span.current().setAttribute(CACHE_HIT, true);
          return ChatStream.of(
              new ChatResponse(
                  ChatResponse.newId(),
                  cached.model(),
                  cached.content(),
                  cached.finishReason(),
                  cached.inputTokens(),
                  cached.outputTokens(),
                  Instant.now().getEpochSecond(),
                  cached.tokensEstimated()));
        }
      }
      exchange.cacheStatus = "miss";
      Span.current().setAttribute(CACHE_HIT, false);
      return new ForwardingStream(chain.proceed(exchange)) {
        @Override
        void completed(ChatResponse r) {
          if (("stop".equals(r.finishReason()) || "length".equals(r.finishReason()))
              && ResponseCache.weight(key, r) <= ResponseCache.MAX_ENTRY_BYTES) {
            cache.put(key, r);
          }
        }
      };
    };
  }

  /** On the request's SERVER span: whether the answer came from the cache. */
  static final AttributeKey<Boolean> CACHE_HIT = AttributeKey.booleanKey("uat.router.cache.hit");

  /** The end of the chain: routing, fallback and the GenAI-instrumented provider call. */
  static ChatInterceptor routing(Routing routing, GenAiTelemetry genAi) {
    return (exchange, chain) ->
        routing.execute(
            exchange.route,
            (d, attempt, fallbackIndex, lease) -> {
              exchange.answeredBy = d.instance().name();
              if (exchange.stream) {
                return genAi.stream(d, attempt, fallbackIndex, exchange.request, exchange, lease);
              }
              return ChatStream.of(
                  genAi.chat(d, attempt, fallbackIndex, exchange.request, exchange));
            });
  }
}
