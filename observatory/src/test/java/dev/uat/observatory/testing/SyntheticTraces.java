package dev.uat.observatory.testing;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import dev.uat.observatory.model.TraceId;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic traces shaped like the platform's: an edge server span, api work with database spans, a
 * router call with a GenAI span; or one large trace of any size (a wide, deep tree over several
 * services) for UI and store tests. Deterministic for a seed.
 */
public final class SyntheticTraces {
  public static final String[] SERVICES = {
    "uat-edge", "uat-api", "uat-router", "uat-realtime", "uat-worker"
  };
  private static final InstrumentationScope SCOPE =
      new InstrumentationScope("dev.uat", "0.1.0", Attributes.empty());

  private final Resource[] resources = new Resource[SERVICES.length];
  private final SplittableRandom random;
  private long nextSpanId = 1;

  public SyntheticTraces(long seed) {
    this.random = new SplittableRandom(seed);
    for (int i = 0; i < SERVICES.length; i++) {
      resources[i] =
          Resource.of(
              Attributes.of(
                  "service.name",
                  SERVICES[i],
                  "service.version",
                  "0.1.0",
                  "telemetry.sdk.language",
                  "java"));
    }
  }

  public TraceId newTraceId() {
    return new TraceId(random.nextLong() | 1, random.nextLong() | 1);
  }

  /**
   * A chat-like trace of about 10 spans starting at {@code startNanos}; errors at {@code
   * errorRate}.
   */
  public List<Span> chatTrace(long startNanos, double errorRate) {
    TraceId id = newTraceId();
    List<Span> spans = new ArrayList<>(12);
    boolean error = random.nextDouble() < errorRate;
    long total = 20_000_000 + random.nextLong(180_000_000);
    long edge =
        span(
            spans,
            id,
            0,
            0,
            "POST /api/*",
            SpanKind.SERVER,
            startNanos,
            total,
            error,
            Attributes.of(
                "http.request.method",
                "POST",
                "http.route",
                "/api/*",
                "http.response.status_code",
                error ? 502L : 200L,
                "url.path",
                "/api/chat"));
    long api =
        span(
            spans,
            id,
            edge,
            1,
            "POST /api/chat",
            SpanKind.SERVER,
            startNanos + 200_000,
            total - 400_000,
            error,
            Attributes.of(
                "http.request.method",
                "POST",
                "http.route",
                "/api/chat",
                "http.response.status_code",
                error ? 502L : 200L,
                "user.id",
                "u-" + random.nextInt(1000)));
    span(
        spans,
        id,
        api,
        1,
        "verify token",
        SpanKind.INTERNAL,
        startNanos + 300_000,
        40_000,
        false,
        Attributes.empty());
    span(
        spans,
        id,
        api,
        1,
        "SELECT uat.conversations",
        SpanKind.CLIENT,
        startNanos + 400_000,
        900_000,
        false,
        Attributes.of(
            "db.system.name", "h2", "db.query.text", "SELECT * FROM conversations WHERE id = ?"));
    span(
        spans,
        id,
        api,
        1,
        "INSERT uat.messages",
        SpanKind.CLIENT,
        startNanos + 1_400_000,
        700_000,
        false,
        Attributes.of(
            "db.system.name", "h2", "db.query.text", "INSERT INTO messages VALUES (?, ?, ?)"));
    long call =
        span(
            spans,
            id,
            api,
            1,
            "POST",
            SpanKind.CLIENT,
            startNanos + 2_200_000,
            total - 4_000_000,
            error,
            Attributes.of(
                "http.request.method",
                "POST",
                "server.address",
                "127.0.0.1",
                "server.port",
                8003L));
    long router =
        span(
            spans,
            id,
            call,
            2,
            "POST /v1/chat/completions",
            SpanKind.SERVER,
            startNanos + 2_400_000,
            total - 4_500_000,
            error,
            Attributes.of("http.request.method", "POST", "http.route", "/v1/chat/completions"));
    span(
        spans,
        id,
        router,
        2,
        "chat llama3",
        SpanKind.CLIENT,
        startNanos + 2_600_000,
        total - 5_000_000,
        error,
        Attributes.of(
            "gen_ai.operation.name",
            "chat",
            "gen_ai.provider.name",
            "ollama",
            "gen_ai.request.model",
            "llama3",
            "gen_ai.response.model",
            "llama3",
            "gen_ai.usage.input_tokens",
            (long) random.nextInt(50, 500),
            "gen_ai.usage.output_tokens",
            (long) random.nextInt(20, 300),
            "gen_ai.response.time_to_first_chunk",
            0.05 + random.nextDouble() * 0.2));
    long publish =
        span(
            spans,
            id,
            api,
            1,
            "send conversation:42",
            SpanKind.PRODUCER,
            startNanos + total - 1_500_000,
            300_000,
            false,
            Attributes.of("messaging.system", "uat", "messaging.destination.name", "conversation"));
    span(
        spans,
        id,
        publish,
        3,
        "process conversation:42",
        SpanKind.CONSUMER,
        startNanos + total - 1_200_000,
        500_000,
        false,
        Attributes.of("messaging.system", "uat", "messaging.operation.type", "process"));
    return spans;
  }

  /**
   * One trace of {@code count} spans: a root, then each span the child of an earlier one (mostly
   * recent ones, so the tree is both deep and wide), over the five services.
   */
  public List<Span> bigTrace(int count, long startNanos) {
    TraceId id = newTraceId();
    List<Span> spans = new ArrayList<>(count);
    long[] ids = new long[count];
    long[] starts = new long[count];
    long totalNanos = 5_000_000_000L;
    ids[0] =
        span(
            spans,
            id,
            0,
            0,
            "GET /batch",
            SpanKind.SERVER,
            startNanos,
            totalNanos,
            false,
            Attributes.of("http.route", "/batch"));
    starts[0] = startNanos;
    for (int i = 1; i < count; i++) {
      int parent = i < 8 ? random.nextInt(i) : Math.max(0, i - 1 - random.nextInt(Math.min(i, 40)));
      long start = starts[parent] + random.nextLong(1_000, 2_000_000);
      starts[i] = start;
      int service = (parent * 7 + i / 100) % SERVICES.length;
      ids[i] =
          span(
              spans,
              id,
              ids[parent],
              service,
              "step " + (i % 200),
              i % 3 == 0 ? SpanKind.CLIENT : SpanKind.INTERNAL,
              start,
              random.nextLong(10_000, 50_000_000),
              i % 997 == 0,
              Attributes.of("step.index", (long) i, "batch.item", "item-" + (i % 50)));
    }
    return spans;
  }

  private long span(
      List<Span> out,
      TraceId traceId,
      long parent,
      int service,
      String name,
      SpanKind kind,
      long start,
      long duration,
      boolean error,
      Attributes attributes) {
    long spanId = nextSpanId++ * 0x9E3779B97F4A7C15L | 1;
    out.add(
        Span.builder()
            .traceId(traceId)
            .spanId(spanId)
            .parentSpanId(parent)
            .name(name)
            .kind(kind)
            .startEpochNanos(start)
            .endEpochNanos(start + duration)
            .attributes(attributes)
            .status(error ? StatusCode.ERROR : StatusCode.UNSET, error ? "upstream failed" : "")
            .flags(1)
            .scope(SCOPE)
            .resource(resources[service])
            .build());
    return spanId;
  }
}
