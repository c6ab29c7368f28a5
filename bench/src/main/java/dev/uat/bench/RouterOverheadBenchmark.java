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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

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
 * <p>Then two closed loops with a cheap client (okhttp, one pooled keep-alive connection per
 * caller, so the client's own cost stays small beside the router's): one connection (one request at
 * a time: the router's hop and work alone, no queueing) and {@code connections} (default 16)
 * virtual-thread callers back to back, each on its own connection, for {@code seconds} per mode and
 * round — the load under which the tail (GC pauses, lock convoys, flushes on request threads)
 * shows. Each prints p50/p90/p99/p99.9 per mode, the router's own time ({@code
 * X-Router-Overhead-Micros}) and the bytes the whole JVM allocated per request (a figure the
 * machine's load does not change: router-miss minus direct is what the router allocates).
 *
 * <p>Run: {@code java -cp 'bench/target/classes:bench/target/lib/*' -XX:+UseSerialGC -Xmx256m
 * dev.uat.bench.RouterOverheadBenchmark [rate] [seconds-per-round] [rounds] [connections]}; a rate
 * of 0 runs the closed loops only. The flags are the launcher's heap and collector
 * (app/jvm.options); add {@code -XX:StartFlightRecording=settings=profile,filename=router.jfr
 * -Xlog:gc*:file=gc.log} to find stalls. {@code bench/scripts/router-vs-baseline.sh} runs it
 * against a baseline commit.
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
    int connections = args.length > 3 ? Integer.parseInt(args[3]) : 16;

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
    Path data = Files.createTempDirectory("router-bench");
    JwtKeys keys = JwtKeys.ephemeral();
    String token = new TokenIssuer(keys).access("bench-user", Set.of("chat")).value();
    Telemetry telemetry = telemetry();
    Router router =
        Router.start(
            // the usage records go to an H2 file as under the launcher: the in-memory default
            // (tests) keeps every row on the heap and filled the 256 MiB after ~100,000 requests
            RouterSettings.defaults().toBuilder().port(0).configFile(config).dataDir(data).build(),
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
    if (rate > 0) {
      openLoopTable(client, modes, rate, seconds, rounds);
    }

    // closed loops on okhttp: one connection (no queueing: the router's hop and work alone), then
    // `connections` callers back to back (the tail under concurrency)
    OkHttpClient ok =
        new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(2 * connections + 4, 5, TimeUnit.MINUTES))
            .retryOnConnectionFailure(false)
            .build();
    Map<String, Request> okModes = new LinkedHashMap<>();
    okModes.put("direct", okRequest(fakeUrl + "/v1/chat/completions", null, null));
    okModes.put("router-miss", okRequest(router.url() + "/v1/chat/completions", token, "no-store"));
    okModes.put("router-hit", okRequest(router.url() + "/v1/chat/completions", token, null));
    for (Request r : okModes.values()) {
      closedLoop(ok, r, connections, Math.max(2, seconds / 2)); // warm-up
    }
    closedLoopTable("one at a time", ok, okModes, 1, seconds, rounds);
    closedLoopTable(connections + " connections", ok, okModes, connections, seconds, rounds);
    ok.connectionPool().evictAll();

    if (rate > 0) {
      fallback(client, router.url(), token, rate, seconds);
    }

    router.close();
    telemetry.close();
    fake.stop(0);
    Files.deleteIfExists(config);
    try (var files = Files.walk(data)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
    System.exit(0);
  }

  /** The open loop at {@code rate} req/s: alternating rounds, a table of medians. */
  private static void openLoopTable(
      HttpClient client, Map<String, HttpRequest> modes, int rate, int seconds, int rounds)
      throws InterruptedException {
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
  }

  /** The fallback success rate with the primary down behind the alias {@code failover}. */
  private static void fallback(
      HttpClient client, String routerUrl, String token, int rate, int seconds)
      throws InterruptedException {
    // fallback: the primary refuses connections; its circuit opens after a few requests
    int n = rate * seconds;
    HttpRequest failover =
        request(
            routerUrl + "/v1/chat/completions",
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

  private static final MediaType JSON = MediaType.get("application/json");

  /** Bytes allocated by all threads: the client's, the fake upstream's and the router's. */
  private static final com.sun.management.ThreadMXBean ALLOCATION =
      (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

  private static Request okRequest(String url, String token, String cache) {
    Request.Builder b = new Request.Builder().url(url).post(RequestBody.create(BODY, JSON));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (cache != null) {
      b.header("Cache-Control", cache);
    }
    return b.build();
  }

  /**
   * Runs every mode in alternating rounds of {@link #closedLoop}, prints each round, a table of the
   * medians over rounds and what the router adds over {@code direct}.
   */
  private static void closedLoopTable(
      String label,
      OkHttpClient client,
      Map<String, Request> modes,
      int connections,
      int seconds,
      int rounds)
      throws InterruptedException {
    Map<String, Result[]> results = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (Map.Entry<String, Request> m : modes.entrySet()) {
        Result r = closedLoop(client, m.getValue(), connections, seconds);
        results.computeIfAbsent(m.getKey(), k -> new Result[rounds])[round] = r;
        System.out.printf(Locale.ROOT, "%s round %d %-12s %s%n", label, round + 1, m.getKey(), r);
      }
    }
    System.out.println();
    System.out.println(
        "| "
            + label
            + " | p50 µs | p90 µs | p99 µs | p99.9 µs | p99 ÷ p50 | req/s | KiB allocated per"
            + " request | router's own p50 / p99 µs |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    Map<String, double[]> medians = new LinkedHashMap<>();
    for (Map.Entry<String, Result[]> e : results.entrySet()) {
      double[] m = Result.medians(e.getValue());
      medians.put(e.getKey(), m);
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %.0f | %.1f | %s |%n",
          e.getKey(),
          m[0],
          m[1],
          m[2],
          m[3],
          m[2] / m[0],
          m[7],
          m[8],
          e.getKey().startsWith("router")
              ? String.format(Locale.ROOT, "%.0f / %.0f", m[5], m[6])
              : "—");
    }
    for (String mode : new String[] {"router-miss", "router-hit"}) {
      double[] m = medians.get(mode);
      double[] d = medians.get("direct");
      System.out.printf(
          Locale.ROOT,
          "added %s (%s − direct): p50 %.0f µs, p99 %.0f µs, p99 ÷ p50 %.1f, allocated %.1f KiB"
              + " per request%n",
          label,
          mode,
          m[0] - d[0],
          m[2] - d[2],
          m[2] / m[0],
          m[8] - d[8]);
    }
  }

  /**
   * {@code connections} virtual threads, each sending {@code request} back to back for {@code
   * seconds}; the pool keeps one connection per caller.
   */
  private static Result closedLoop(
      OkHttpClient client, Request request, int connections, int seconds)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long[][] latency = new long[connections][];
    long[][] overhead = new long[connections][];
    int[] counts = new int[connections];
    AtomicInteger errors = new AtomicInteger();
    Thread[] callers = new Thread[connections];
    long allocatedBefore = ALLOCATION.getTotalThreadAllocatedBytes();
    long began = System.nanoTime();
    for (int c = 0; c < connections; c++) {
      int caller = c;
      callers[c] =
          Thread.startVirtualThread(
              () -> {
                long[] lat = new long[4096];
                long[] own = new long[4096];
                int n = 0;
                while (System.nanoTime() < end) {
                  if (n == lat.length) {
                    lat = Arrays.copyOf(lat, n * 2);
                    own = Arrays.copyOf(own, n * 2);
                  }
                  long t0 = System.nanoTime();
                  try (Response r = client.newCall(request).execute()) {
                    r.body().bytes();
                    lat[n] = System.nanoTime() - t0;
                    String o = r.header("X-Router-Overhead-Micros");
                    own[n] = o == null ? -1 : Long.parseLong(o);
                    if (r.code() != 200 && errors.incrementAndGet() <= 3) {
                      System.out.println("error sample: " + r.code());
                    }
                  } catch (IOException e) {
                    lat[n] = System.nanoTime() - t0;
                    own[n] = -1;
                    if (errors.incrementAndGet() <= 3) {
                      System.out.println("error sample: " + e);
                    }
                  }
                  n++;
                }
                latency[caller] = lat;
                overhead[caller] = own;
                counts[caller] = n;
              });
    }
    for (Thread t : callers) {
      t.join();
    }
    long elapsed = System.nanoTime() - began;
    long allocated = ALLOCATION.getTotalThreadAllocatedBytes() - allocatedBefore;
    int total = Arrays.stream(counts).sum();
    long[] lat = new long[total];
    long[] own = new long[total];
    int at = 0;
    for (int c = 0; c < connections; c++) {
      System.arraycopy(latency[c], 0, lat, at, counts[c]);
      System.arraycopy(overhead[c], 0, own, at, counts[c]);
      at += counts[c];
    }
    return new Result(lat, own, errors.get(), 0, total * 1e9 / elapsed, (double) allocated / total);
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
    return new Result(
        latency,
        overhead,
        errors.get(),
        notSent.get(),
        n * 1e9 / TimeUnit.SECONDS.toNanos(seconds),
        Double.NaN);
  }

  /** One round's latencies (µs) and the router's self-reported overhead (µs). */
  record Result(
      long[] latency,
      long[] overhead,
      int errors,
      int notSent,
      double perSecond,
      double bytesPerRequest) {
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
        percentile(overhead, 99),
        perSecond,
        bytesPerRequest / 1024
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
          "p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, %.0f req/s, errors %d, not sent"
              + " (over %d in flight) %d, router's own p50 %.0f µs p99 %.0f µs",
          s[0],
          s[1],
          s[2],
          s[3],
          s[7],
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
