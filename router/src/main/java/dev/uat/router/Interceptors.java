package dev.uat.router;

import dev.uat.router.provider.ChatResponse;
import dev.uat.router.provider.EmbeddingResponse;
import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.time.Instant;

/**
 * The router's interceptors, in chain order: limits, accounting, cache, routing. Every request kind
 * (chat, streamed chat, embeddings) passes all of them.
 */
final class Interceptors {
  private Interceptors() {}

  /** Admits a request under its caller's limits; charges its tokens when it ends. */
  static Interceptor rateLimit(RateLimiter limiter) {
    return chain -> {
      RouterRequest request = chain.request();
      limiter.admit(request.caller());
      Answer answer = chain.proceed(request);
      if (answer.failed() || answer.cacheHit()) {
        return answer;
      }
      EmbeddingResponse embeddings = answer.embeddings();
      if (embeddings != null) {
        limiter.charge(request.caller(), embeddings.inputTokens());
        return answer;
      }
      return answer.withStream(
          new ForwardingStream(answer.stream()) {
            @Override
            void completed(ChatResponse r) {
              limiter.charge(request.caller(), Math.max(0, r.inputTokens() + r.outputTokens()));
            }
          });
    };
  }

  /** Records what every request used, answered or not, for the background writer. */
  static Interceptor accounting(UsageRecorder recorder) {
    return chain -> {
      RouterRequest request = chain.request();
      Answer answer;
      try {
        answer = chain.proceed(request);
      } catch (HttpError e) {
        recorder.record(record(request, null, null, null, e.code()));
        throw e;
      }
      if (answer.failed()) {
        String code = UpstreamErrors.toHttpError(answer.failure()).code();
        recorder.record(record(request, answer, null, null, code));
        return answer;
      }
      if (answer.embeddings() != null) {
        recorder.record(record(request, answer, null, answer.embeddings(), "ok"));
        return answer;
      }
      return answer.withStream(
          new ForwardingStream(answer.stream()) {
            @Override
            void completed(ChatResponse r) {
              recorder.record(record(request, answer, r, null, "ok"));
            }

            @Override
            void failed(RuntimeException e) {
              recorder.record(
                  record(
                      request,
                      answer,
                      null,
                      null,
                      e instanceof ProviderException p
                          ? UpstreamErrors.toHttpError(p).code()
                          : "internal_error"));
            }

            @Override
            void abandoned() {
              recorder.record(record(request, answer, null, null, "cancelled"));
            }
          });
    };
  }

  /**
   * One usage record: a chat's tokens from {@code chat}, embeddings' from {@code embeddings} (never
   * marked estimated, as their records always were); neither for a failure.
   */
  private static UsageRecord record(
      RouterRequest x,
      Answer answer,
      ChatResponse chat,
      EmbeddingResponse embeddings,
      String status) {
    SpanContext span = Span.current().getSpanContext();
    String model = chat != null ? chat.model() : embeddings != null ? embeddings.model() : null;
    return new UsageRecord(
        Instant.now(),
        x.kind().operation,
        x.caller().keyId(),
        x.caller().userId(),
        x.route().requested(),
        model,
        answer == null ? null : answer.answeredBy(),
        chat != null
            ? Math.max(0, chat.inputTokens())
            : embeddings != null ? Math.max(0, embeddings.inputTokens()) : 0,
        chat == null ? 0 : Math.max(0, chat.outputTokens()),
        chat != null && chat.tokensEstimated(),
        (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - x.startNanos()) / 1_000_000),
        answer != null && answer.cacheHit(),
        status,
        span.isValid() ? span.getTraceId() : null);
  }

  /**
   * Answers from the cache when it can; stores complete fresh answers. Entries are the caller's
   * account's own ({@link ResponseCache#key}): a hit is always an answer to the same account, and a
   * refresh ({@code no-cache}) replaces only its entry. Routes through a provider instance with
   * {@code cache: false} (echo, by default) and embeddings are neither looked up nor stored.
   */
  static Interceptor cache(ResponseCache cache, RouterMetrics metrics) {
    return chain -> {
      RouterRequest request = chain.request();
      if (request.cachePolicy() == RouterRequest.CachePolicy.BYPASS
          || !request.route().cacheable()) {
        return chain.proceed(request).withCacheStatus("bypass");
      }
      String key =
          ResponseCache.key(request.caller().userId(), request.route().requested(), request.chat());
      if (request.cachePolicy() == RouterRequest.CachePolicy.USE) {
        ChatResponse cached = cache.get(key); // the router's own work: counted as overhead
        metrics.cache(cached != null);
        if (cached != null) {
          Span.current().setAttribute(RouterAttributes.CACHE_HIT, true);
          return Answer.of(dev.uat.router.provider.ChatStream.of(cached.reissued()), "cache")
              .withCacheStatus("hit");
        }
      }
      Span.current().setAttribute(RouterAttributes.CACHE_HIT, false);
      Answer answer = chain.proceed(request).withCacheStatus("miss");
      if (answer.failed()) {
        return answer;
      }
      return answer.withStream(
          new ForwardingStream(answer.stream()) {
            @Override
            void completed(ChatResponse r) {
              if (("stop".equals(r.finishReason()) || "length".equals(r.finishReason()))
                  && ResponseCache.weight(key, r) <= ResponseCache.MAX_ENTRY_BYTES) {
                cache.put(key, r);
              }
            }
          });
    };
  }

  /**
   * The end of the chain: routing and fallback over the request's route, each attempt made by
   * {@code call}. Upstream failures come back as a {@linkplain Answer#failed() failed} answer,
   * naming the instance tried last.
   */
  static Interceptor routing(Routing routing, ProviderCall call) {
    return chain -> {
      RouterRequest request = chain.request();
      Tally tally = new Tally();
      try {
        Answer answer =
            routing.execute(
                request.route(),
                (d, attempt, fallbackIndex, lease) -> {
                  tally.triedLast = d.instance().name();
                  long start = System.nanoTime();
                  try {
                    return call.call(
                        new ProviderCall.Attempt(request, d, attempt, fallbackIndex, lease));
                  } finally {
                    tally.upstreamNanos += System.nanoTime() - start;
                  }
                });
        return answer.withUpstreamNanos(tally.upstreamNanos);
      } catch (ProviderException | HttpError e) {
        return Answer.failed(e, tally.triedLast, tally.upstreamNanos);
      }
    };
  }

  /** What the routing step counts across its attempts; local to one request. */
  private static final class Tally {
    String triedLast;
    long upstreamNanos;
  }
}
