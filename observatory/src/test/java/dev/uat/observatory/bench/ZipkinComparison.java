package dev.uat.observatory.bench;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.observatory.testing.ZipkinJsonEncoder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The observatory beside Zipkin server 3.5.1 (in-memory storage) on the same spans, one server at a
 * time, each in its own JVM with the same heap flags: ingest throughput (spans/s, the client
 * posting pre-encoded batches of 1,000 spans on 4 connections), retained heap per stored span (used
 * heap after a full GC, minus the same before ingest, over the span count), and the latency of
 * trace-by-id and of searches with every span stored.
 *
 * <p>{@code ZipkinComparison <zipkin-server-exec.jar> <classpath of the observatory> [spans]}.
 * Prints a Markdown table. Not a test: run by {@code bench/scripts/observatory-vs-zipkin.sh}.
 */
public final class ZipkinComparison {
  private static final int BATCH_SPANS = 1_000;
  private static final int CLIENTS = 4;
  private static final int WARM_UP_SPANS = 200_000;
  private static final String HEAP = "-Xmx6g";
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  private ZipkinComparison() {}

  /** User + system CPU time of a process so far, in seconds (Linux /proc). */
  private static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime at 100 Hz
  }

  record Result(
      String name,
      double spansPerSecond,
      double spansPerCpuSecond,
      double bytesPerSpan,
      double[] byId,
      double[] byService,
      double[] byTag,
      long stored) {}

  public static void main(String[] args) throws Exception {
    Path zipkinJar = Path.of(args[0]);
    String classpath = Files.readString(Path.of(args[1])).trim();
    int spans = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    long now = System.currentTimeMillis() * 1_000_000;
    SyntheticTraces warmTraces = new SyntheticTraces(7);
    List<Span> warm = new ArrayList<>();
    List<List<Span>> warmBatches = new ArrayList<>();
    for (int i = 0; i < WARM_UP_SPANS / 10; i++) {
      warm.addAll(warmTraces.chatTrace(now - 3_600_000_000_000L + i * 1_000_000L, 0.02));
      if (warm.size() >= BATCH_SPANS) {
        warmBatches.add(warm);
        warm = new ArrayList<>();
      }
    }
    SyntheticTraces traces = new SyntheticTraces(2026);
    List<List<Span>> batches = new ArrayList<>();
    List<String> traceIds = new ArrayList<>();
    List<Span> batch = new ArrayList<>();
    for (int i = 0; i < spans / 10; i++) {
      List<Span> trace = traces.chatTrace(now - (spans / 10 - i) * 2_000_000L, 0.02);
      traceIds.add(trace.getFirst().traceIdHex());
      batch.addAll(trace);
      if (batch.size() >= BATCH_SPANS) {
        batches.add(batch);
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    List<byte[]> zipkinBodies = batches.stream().map(ZipkinJsonEncoder::encode).toList();
    List<byte[]> otlpBodies = batches.stream().map(OtlpProtoEncoder::encode).toList();
    List<byte[]> zipkinWarm = warmBatches.stream().map(ZipkinJsonEncoder::encode).toList();
    List<byte[]> otlpWarm = warmBatches.stream().map(OtlpProtoEncoder::encode).toList();
    int batchCount = batches.size();
    batches.clear(); // the client keeps bytes only, so its own GC stays out of the latencies
    warmBatches.clear();
    System.gc();
    System.err.printf(
        "%d spans in %d batches; Zipkin JSON %.0f bytes/span, OTLP protobuf %.0f bytes/span%n",
        spans,
        batchCount,
        total(zipkinBodies) / (double) spans,
        total(otlpBodies) / (double) spans);

    List<Result> results = new ArrayList<>();
    results.add(zipkin(java, zipkinJar, zipkinWarm, zipkinBodies, traceIds, spans));
    results.add(
        observatory(
            java,
            classpath,
            "observatory, Zipkin JSON",
            zipkinWarm,
            zipkinBodies,
            true,
            traceIds,
            spans));
    results.add(
        observatory(
            java,
            classpath,
            "observatory, OTLP protobuf",
            otlpWarm,
            otlpBodies,
            false,
            traceIds,
            spans));

    System.out.println();
    System.out.println(
        "| server | ingest spans/s | spans per server CPU-second | heap bytes/span | spans stored | trace by id p50 / p99 ms | search by service p50 / p99 ms | search by tag p50 / p99 ms |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %,.0f | %,.0f | %,.0f | %,d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |%n",
          r.name,
          r.spansPerSecond,
          r.spansPerCpuSecond,
          r.bytesPerSpan,
          r.stored,
          r.byId[0],
          r.byId[1],
          r.byService[0],
          r.byService[1],
          r.byTag[0],
          r.byTag[1]);
    }
    Result z = results.get(0);
    for (Result r : results.subList(1, results.size())) {
      System.out.printf(
          Locale.ROOT,
          "%n%s vs Zipkin: ingest %.1fx (per server CPU-second %.1fx), heap per span %.2fx,"
              + " trace by id p99 %.2fx, search p99 %.2fx%n",
          r.name,
          r.spansPerSecond / z.spansPerSecond,
          r.spansPerCpuSecond / z.spansPerCpuSecond,
          r.bytesPerSpan / z.bytesPerSpan,
          r.byId[1] / z.byId[1],
          r.byService[1] / z.byService[1]);
    }
  }

  private static long total(List<byte[]> bodies) {
    return bodies.stream().mapToLong(b -> b.length).sum();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Result zipkin(
      String java, Path jar, List<byte[]> warm, List<byte[]> bodies, List<String> ids, int spans)
      throws Exception {
    int port = freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            HEAP,
            "-XX:+UseG1GC",
            "-Xlog:gc:file=target/zipkin-bench-gc.log",
            "-Darmeria.ports[0].port=" + port,
            "-Darmeria.ports[0].ip=127.0.0.1",
            "-Darmeria.ports[0].protocols[0]=http",
            "-jar",
            jar.toString());
    pb.environment().put("STORAGE_TYPE", "mem");
    pb.environment().put("MEM_MAX_SPANS", Integer.toString(spans + 100_000));
    pb.environment().put("SELF_TRACING_ENABLED", "false");
    pb.environment().put("COLLECTOR_SAMPLE_RATE", "1.0");
    pb.redirectErrorStream(true).redirectOutput(Path.of("target/zipkin-bench.log").toFile());
    Process process = pb.start();
    try {
      String base = "http://127.0.0.1:" + port;
      awaitUp(base + "/health");
      long before = usedHeap(process.pid());
      ingest(base + "/api/v2/spans", "application/json", warm, WARM_UP_SPANS);
      double cpu = cpuSeconds(process.pid());
      double rate = ingest(base + "/api/v2/spans", "application/json", bodies, spans);
      double perCpu = spans / (cpuSeconds(process.pid()) - cpu);
      awaitUp(base + "/api/v2/trace/" + ids.getLast());
      awaitUp(base + "/api/v2/trace/" + ids.getFirst()); // MEM_MAX_SPANS keeps every span
      long stored = spans + WARM_UP_SPANS;
      long after = usedHeap(process.pid());
      double[] byId = latencies(ids, id -> base + "/api/v2/trace/" + id, 2_000);
      double[] byService =
          latencies(
              ids,
              id ->
                  base
                      + "/api/v2/traces?serviceName=uat-api&limit=20&lookback=86400000&endTs="
                      + (System.currentTimeMillis() + 60_000),
              200);
      double[] byTag =
          latencies(
              ids,
              id ->
                  base
                      + "/api/v2/traces?serviceName=uat-api&annotationQuery=error&limit=20&lookback=86400000&endTs="
                      + (System.currentTimeMillis() + 60_000),
              200);
      return new Result(
          "Zipkin 3.5.1 (mem)",
          rate,
          perCpu,
          (after - before) / (double) stored,
          byId,
          byService,
          byTag,
          stored);
    } finally {
      process.destroy();
      process.waitFor();
    }
  }

  private static Result observatory(
      String java,
      String classpath,
      String name,
      List<byte[]> warm,
      List<byte[]> bodies,
      boolean zipkin,
      List<String> ids,
      int spans)
      throws Exception {
    int otlp = freePort();
    int query = freePort();
    int zip = freePort();
    long budget = 3L << 30;
    Process process =
        new ProcessBuilder(
                java,
                HEAP,
                "-XX:+UseG1GC",
                "-Xlog:gc:file=target/observatory-bench-gc.log",
                "-cp",
                classpath,
                ObservatoryServer.class.getName(),
                Integer.toString(otlp),
                Integer.toString(query),
                Integer.toString(zip),
                Long.toString(budget))
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target/observatory-bench.log").toFile())
            .start();
    try {
      String base = "http://127.0.0.1:" + query;
      awaitUp(base + "/health/ready");
      long before = usedHeap(process.pid());
      String url =
          zipkin
              ? "http://127.0.0.1:" + zip + "/api/v2/spans"
              : "http://127.0.0.1:" + otlp + "/v1/traces";
      String type = zipkin ? "application/json" : "application/x-protobuf";
      ingest(url, type, warm, WARM_UP_SPANS);
      double cpu = cpuSeconds(process.pid());
      double rate = ingest(url, type, bodies, spans);
      double perCpu = spans / (cpuSeconds(process.pid()) - cpu);
      long stored = metric(base, "uat_observatory_store_spans");
      while (metric(base, "uat_observatory_derived_queue") > 0) {
        Thread.sleep(100); // the RED worker catches up before queries are timed
      }
      long after = usedHeap(process.pid());
      String tags = URLEncoder.encode("{\"error\":\"true\"}", StandardCharsets.UTF_8);
      double[] byId = latencies(ids, id -> base + "/api/traces/" + id, 2_000);
      double[] byService =
          latencies(ids, id -> base + "/api/traces?service=uat-api&limit=20&lookback=24h", 200);
      double[] byTag =
          latencies(
              ids,
              id -> base + "/api/traces?service=uat-api&limit=20&lookback=24h&tags=" + tags,
              200);
      return new Result(
          name, rate, perCpu, (after - before) / (double) stored, byId, byService, byTag, stored);
    } finally {
      process.destroy();
      process.waitFor();
    }
  }

  private static long metric(String base, String name) throws Exception {
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? ([0-9.eE+]+)").matcher(metrics);
    if (!m.find()) {
      throw new IllegalStateException("no " + name + " in /metrics");
    }
    return (long) Double.parseDouble(m.group(1));
  }

  private static void awaitUp(String url) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (HTTP.send(
                    HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("not up: " + url);
  }

  /** Posts every body on {@link #CLIENTS} connections; returns spans per second. */
  private static double ingest(String url, String type, List<byte[]> bodies, int spans)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(
            pool.submit(
                () -> {
                  for (int i; (i = next.getAndIncrement()) < bodies.size(); ) {
                    HttpResponse<Void> r =
                        HTTP.send(
                            HttpRequest.newBuilder(URI.create(url))
                                .header("Content-Type", type)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i)))
                                .build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() / 100 != 2) {
                      failures.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : clients) {
        f.get();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failures.get() > 0) {
      System.err.println(failures.get() + " requests failed on " + url);
    }
    return spans / seconds;
  }

  interface Url {
    String of(String traceId);
  }

  /** p50 and p99 in ms over {@code n} sequential requests (after 500 warm-up requests). */
  private static double[] latencies(List<String> ids, Url url, int n) throws Exception {
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 500; i++) {
      get(url.of(ids.get(random.nextInt(ids.size()))));
    }
    double[] ms = new double[n];
    for (int i = 0; i < n; i++) {
      String u = url.of(ids.get(random.nextInt(ids.size())));
      long t = System.nanoTime();
      get(u);
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return new double[] {ms[n / 2], ms[(int) Math.ceil(n * 0.99) - 1]};
  }

  private static void get(String url) throws Exception {
    HttpResponse<byte[]> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          r.statusCode() + " for " + url + ": " + new String(r.body(), StandardCharsets.UTF_8));
    }
  }

  /** Used heap after two full GCs, from {@code jcmd}. */
  private static long usedHeap(long pid) throws Exception {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    for (int i = 0; i < 2; i++) {
      new ProcessBuilder(jcmd, Long.toString(pid), "GC.run")
          .redirectErrorStream(true)
          .start()
          .waitFor();
    }
    Process p =
        new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    Matcher m = Pattern.compile("used (\\d+)K").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("cannot read the heap of " + pid + ": " + out);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }
}
