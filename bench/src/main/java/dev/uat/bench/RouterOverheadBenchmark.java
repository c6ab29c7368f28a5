package dev.uat.bench;

import com.sun.net.httpserver.HttpServer;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.router.Router;
import dev.uat.router.RouterSettings;
import dev.uat.telemetry.Telemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The router's own cost, measured the way a user feels it: an open-loop load at a fixed rate
 * (default 2,000 req/s) of {@code POST /v1/chat/completions} against a fast local fake
 * OpenAI-compatible provider, in alternating rounds of
 *
 * <ul>
 *   <li>{@code direct} — the fake provider itself, the baseline;
 *   <li>{@code router-miss} — through the router, cache bypassed ({@code Cache-Control: no-store}):
 *       auth, limits, accounting, routing, GenAI span, upstream call;
 *   <li>{@code router-hit} — through the router, answered from the response cache;
 * </ul>
 *
 * then the fallback success rate with the primary provider down (connection refused) behind an
 * alias {@code [dead/model, fake/model]}. Tracing is on (every span through a batch processor to an
 * exporter that drops them, so that export costs no I/O); usage records go to an in-memory H2.
 * Latency is measured from each request's scheduled send time, so a stalled server cannot hide its
 * queue (no coordinated omission).
 *
 * <p>Run: {@code java -cp 'bench/target/classes:bench/target/lib/*' -XX:+UseSerialGC -Xmx512m
 * dev.uat.bench.RouterOverheadBenchmark [rate] [seconds-per-round] [rounds]}.
 */
public final class RouterOverheadBenchmark {
  private static final byte[] ANSWER =
      """
      {"id":"chatcmpl-bench","object":"chat.completion","created":1741569952,
       "model":"bench-model","choices":[{"index":0,"message":{"role":"assistant",
       "content":"Hello! How can I help?"},"finish_reason":"stop"}],
       "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}}
      """
          .getBytes(StandardCharsets.UTF_8);
  private static final byte[] MODELS =
      "{\"object\":\"list\",\"data\":[{\"id\":\"bench-model\",\"object\":\"model\",\"created\":1,\"owned_by\":\"x\"}]}"
          .getBytes(StandardCharsets.UTF_8);
  private static final String BODY =
      "{\"model\":\"bench-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

  /** Requests outstanding at most; more are counted as errors instead of sent. */
  private static final int MAX_IN_FLIGHT = 2000;

  private RouterOverheadBenchmark() {}

  public static void main(String[] args) throws Exception {
    // the JDK server closes idle connections beyond 200 by default, racing the clients' reuse
    System.setProperty("sun.net.httpserver.maxIdleConnections", "10000");
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;

    HttpServer fake = fakeProvider();
    String fakeUrl = "http://127.0.0.1:" + fake.getAddress().getPort();
    Path config = Files.createTempFile("router-bench", ".yaml");
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    Files.writeString(
        config,
        """
        providers:
          - {name: fake, kind: openai, url: "%s/v1"}
          - {name: dead, kind: openai, url: "http://127.0.0.1:%d/v1"}
        aliases:
          failover: [dead/bench-model, fake/bench-model]
        routing: {discovery_interval: 1h}
        """
            .formatted(fakeUrl, dead));
    JwtKeys keys = JwtKeys.ephemeral();
    String token = new TokenIssuer(keys).access("bench-user", Set.of("chat")).value();
    Telemetry telemetry = telemetry();
    Router router =
        Router.start(
            RouterSettings.defaults().toBuilder().port(0).configFile(config).build(),
            telemetry,
            TokenVerifier.local(keys));
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    Map<String, HttpRequest> modes = new LinkedHashMap<>();
    modes.put("direct", request(fakeUrl + "/v1/chat/completions", BODY, null, null));
    modes.put(
        "router-miss", request(router.url() + "/v1/chat/completions", BODY, token, "no-store"));
    modes.put("router-hit", request(router.url() + "/v1/chat/completions", BODY, token, null));

    System.out.printf(
        Locale.ROOT,
        "rate %d req/s, %d s per round, %d rounds, %d cores, %s%n",
        rate,
        seconds,
        rounds,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.version"));
    for (Map.Entry<String, HttpRequest> m : modes.entrySet()) {
      run(client, m.getValue(), rate, Math.max(5, seconds)); // warm-up
    }
    Map<String, Result[]> results = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Map.Entry<String, HttpRequest> m : modes.entrySet()) {
        Result r = run(client, m.getValue(), rate, seconds);
        results.computeIfAbsent(m.getKey(), k -> new Result[rounds])[round] = r;
        System.out.printf(Locale.ROOT, "round %d %-12s %s%n", round + 1, m.getKey(), r);
      }
    }
    System.out.println();
    System.out.println(
        "| mode | p50 µs | p90 µs | p99 µs | p99.9 µs | errors | router's own p50 / p99 µs |");
    System.out.println("|---|---|---|---|---|---|---|");
    Map<String, double[]> medians = new LinkedHashMap<>();
    for (Map.Entry<String, Result[]> e : results.entrySet()) {
      double[] m = Result.medians(e.getValue());
      medians.put(e.getKey(), m);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %s |%n",
          e.getKey(),
          m[0],
          m[1],
          m[2],
          m[3],
          m[4],
          e.getKey().startsWith("router")
              ? String.format(Locale.ROOT, "%.0f / %.0f", m[5], m[6])
              : "—");
    }
    double[] direct = medians.get("direct");
    for (String mode : new String[] {"router-miss", "router-hit"}) {
      double[] m = medians.get(mode);
      System.out.printf(
          Locale.ROOT,
          "added by the router (%s − direct): p50 %.0f µs, p99 %.0f µs%n",
          mode,
          m[0] - direct[0],
          m[2] - direct[2]);
    }

    // one request at a time: no queueing, so the difference is the router's hop and work alone
    int sequential = rate * seconds / 4;
    Map<String, Result[]> seq = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Map.Entry<String, HttpRequest> m : modes.entrySet()) {
        Result r = sequential(client, m.getValue(), sequential);
        seq.computeIfAbsent(m.getKey(), k -> new Result[rounds])[round] = r;
        System.out.printf(Locale.ROOT, "sequential round %d %-12s %s%n", round + 1, m.getKey(), r);
      }
    }
    System.out.println();
    System.out.println(
        "| one at a time | p50 µs | p90 µs | p99 µs | p99.9 µs | router's own p50 / p99 µs |");
    System.out.println("|---|---|---|---|---|---|");
    Map<String, double[]> seqMedians = new LinkedHashMap<>();
    for (Map.Entry<String, Result[]> e : seq.entrySet()) {
      double[] m = Result.medians(e.getValue());
      seqMedians.put(e.getKey(), m);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.0f | %.0f | %.0f | %s |%n",
          e.getKey(),
          m[0],
          m[1],
          m[2],
          m[3],
          e.getKey().startsWith("router")
              ? String.format(Locale.ROOT, "%.0f / %.0f", m[5], m[6])
              : "—");
    }
    for (String mode : new String[] {"router-miss", "router-hit"}) {
      double[] m = seqMedians.get(mode);
      double[] d = seqMedians.get("direct");
      System.out.printf(
          Locale.ROOT,
          "added one at a time (%s − direct): p50 %.0f µs, p99 %.0f µs%n",
          mode,
          m[0] - d[0],
          m[2] - d[2]);
    }

    // fallback: the primary refuses connections; its circuit opens after a few requests
    int n = rate * seconds;
    HttpRequest failover =
        request(
            router.url() + "/v1/chat/completions",
            BODY.replace("bench-model", "failover"),
            token,
            "no-store");
    Result f = run(client, failover, rate, seconds);
    int sent = n - f.notSent;
    System.out.printf(
        Locale.ROOT,
        "fallback with the primary down: %d of %d sent succeeded (%.3f %%), %s%n",
        sent - f.errors,
        sent,
        100.0 * (sent - f.errors) / sent,
        f);

    router.close();
    telemetry.close();
    fake.stop(0);
    Files.deleteIfExists(config);
    System.exit(0);
  }

  private static HttpRequest request(String url, String body, String token, String cache) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (cache != null) {
      b.header("Cache-Control", cache);
    }
    return b.build();
  }

  /** Sends {@code n} requests one after another from one thread. */
  private static Result sequential(HttpClient client, HttpRequest request, int n) {
    long[] latency = new long[n];
    long[] overhead = new long[n];
    int errors = 0;
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      try {
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        latency[i] = System.nanoTime() - t0;
        overhead[i] =
            r.headers().firstValue("X-Router-Overhead-Micros").map(Long::parseLong).orElse(-1L);
        if (r.statusCode() != 200) {
          errors++;
        }
      } catch (IOException | InterruptedException e) {
        latency[i] = System.nanoTime() - t0;
        overhead[i] = -1;
        errors++;
      }
    }
    return new Result(latency, overhead, errors, 0);
  }

  /** Sends {@code rate} requests per second for {@code seconds}, each at its scheduled time. */
  private static Result run(HttpClient client, HttpRequest request, int rate, int seconds)
      throws InterruptedException {
    int n = rate * seconds;
    long[] latency = new long[n];
    long[] overhead = new long[n];
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger notSent = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(n);
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime() + 10_000_000L;
    for (int i = 0; i < n; i++) {
      long scheduled = start + i * interval;
      long wait;
      while ((wait = scheduled - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      int index = i;
      if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
        // the system under test fell behind by seconds: count it, do not queue without bound
        inFlight.decrementAndGet();
        latency[index] = -1;
        overhead[index] = -1;
        notSent.incrementAndGet();
        done.countDown();
        continue;
      }
      Thread.startVirtualThread(
          () -> {
            try {
              HttpResponse<byte[]> r =
                  client.send(request, HttpResponse.BodyHandlers.ofByteArray());
              latency[index] = System.nanoTime() - scheduled;
              overhead[index] =
                  r.headers()
                      .firstValue("X-Router-Overhead-Micros")
                      .map(Long::parseLong)
                      .orElse(-1L);
              if (r.statusCode() != 200) {
                if (errors.incrementAndGet() <= 3) {
                  System.out.printf(
                      "error sample: %d %s%n",
                      r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
                }
              }
            } catch (IOException | InterruptedException e) {
              latency[index] = System.nanoTime() - scheduled;
              overhead[index] = -1;
              if (errors.incrementAndGet() <= 3) {
                System.out.println("error sample: " + e);
              }
            } finally {
              inFlight.decrementAndGet();
              done.countDown();
            }
          });
    }
    done.await(seconds + 30L, TimeUnit.SECONDS);
    return new Result(latency, overhead, errors.get(), notSent.get());
  }

  /** One round's latencies (µs) and the router's self-reported overhead (µs). */
  record Result(long[] latency, long[] overhead, int errors, int notSent) {
    double percentile(long[] values, double p) {
      long[] sorted = Arrays.stream(values).filter(v -> v >= 0).sorted().toArray();
      if (sorted.length == 0) {
        return Double.NaN;
      }
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    double[] summary() {
      return new double[] {
        percentile(latency, 50) / 1000,
        percentile(latency, 90) / 1000,
        percentile(latency, 99) / 1000,
        percentile(latency, 99.9) / 1000,
        errors,
        percentile(overhead, 50),
        percentile(overhead, 99)
      };
    }

    static double[] medians(Result[] rounds) {
      double[][] s = new double[rounds.length][];
      for (int i = 0; i < rounds.length; i++) {
        s[i] = rounds[i].summary();
      }
      double[] out = new double[s[0].length];
      for (int k = 0; k < out.length; k++) {
        double[] col = new double[s.length];
        for (int i = 0; i < s.length; i++) {
          col[i] = s[i][k];
        }
        Arrays.sort(col);
        out[k] = col[col.length / 2];
      }
      return out;
    }

    @Override
    public String toString() {
      double[] s = summary();
      return String.format(
          Locale.ROOT,
          "p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, errors %d, not sent (over %d in"
              + " flight) %d, router's own p50 %.0f µs p99 %.0f µs",
          s[0],
          s[1],
          s[2],
          s[3],
          errors,
          MAX_IN_FLIGHT,
          notSent,
          s[5],
          s[6]);
    }
  }

  /** A fast fake OpenAI-compatible server: fixed answers, virtual threads. */
  private static HttpServer fakeProvider() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/v1/chat/completions",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
          }
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, ANSWER.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(ANSWER);
          }
        });
    server.createContext(
        "/v1/models",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, MODELS.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(MODELS);
          }
        });
    server.start();
    return server;
  }

  /** Tracing on, every span sampled and batched, then dropped: the SDK's cost without I/O. */
  private static Telemetry telemetry() {
    PrometheusMetricReader reader =
        PrometheusMetricReader.builder().setOtelScopeLabelsEnabled(false).build();
    SpanExporter drop =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(
                        BatchSpanProcessor.builder(drop)
                            .setMaxQueueSize(32_768)
                            .setMaxExportBatchSize(2048)
                            .setScheduleDelay(Duration.ofMillis(200))
                            .build())
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    return Telemetry.of("uat-router", sdk, reader);
  }
}
