package dev.uat.bench;

import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The realtime load benchmark: memory per WebSocket connection at 10,000 connections, and delivery
 * latency of one broadcast to 1,000 subscribers of one channel.
 *
 * <pre>
 * ./mvnw -B -q -pl bench package -DskipTests
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.uat.bench.RealtimeLoad \
 *     [connections=10000] [subscribers=1000] [events=200] [gap between events, ms=100]
 * </pre>
 *
 * <p>Environment: {@code UAT_BENCH_SKIP_BARE} skips the bare-Javalin memory baseline; {@code
 * UAT_BENCH_SERVER_OPTS} adds JVM flags to the server (a GC log, JFR); {@code UAT_BENCH_SERVER_CP}
 * puts classes before the server's class path (another commit's realtime module, for before/after:
 * {@code bench/scripts/realtime-vs-baseline.sh}).
 *
 * <p>The driver starts the server as a child JVM (the launcher's flags: parallel GC, 256 MB heap)
 * with a realtime hub, an in-process bus, a fake api that lets everyone into {@code
 * conversation:bench}, a control endpoint that publishes and reports memory, and — for the baseline
 * — a bare Javalin WebSocket endpoint ({@code /bare}) with no hub behind it. The driver is one NIO
 * selector thread speaking the WebSocket protocol itself, so that 10,000 clients cost it little.
 * Server and driver share the machine's 2 cores and its wall clock (latency = receive time minus
 * the publish time written into the event, both {@code Instant.now()} in microseconds).
 */
public final class RealtimeLoad {
  private RealtimeLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("server")) {
      try {
        RealtimeLoadServer.run(Path.of(args[1]));
      } catch (Throwable e) {
        // its control server's thread would keep the JVM, and the driver waiting, forever
        e.printStackTrace();
        System.exit(1);
      }
      return;
    }
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int subscribers = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int events = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    long gapMicros = args.length > 3 ? Long.parseLong(args[3]) * 1000 : 100_000;
    drive(connections, subscribers, events, gapMicros);
  }

  // ------------------------------------------------------------------ the driver

  private record Stats(long heap, long nonHeap, long direct, long rss, long threads) {
    static Stats parse(String json) throws IOException {
      var n = dev.uat.web.Json.MAPPER.readTree(json);
      return new Stats(
          n.get("heap").asLong(),
          n.get("non_heap").asLong(),
          n.get("direct").asLong(),
          n.get("rss").asLong(),
          n.get("threads").asLong());
    }
  }

  static void drive(int connections, int subscribers, int events, long gapMicros) throws Exception {
    Path data = Files.createTempDirectory("realtime-load");
    JwtKeys keys = JwtKeys.loadOrCreate(data);
    TokenIssuer issuer = new TokenIssuer(keys);
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    String extra = System.getenv("UAT_BENCH_SERVER_OPTS"); // e.g. -XX:StartFlightRecording=...
    cmd.add(javaBin);
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(
        List.of(
            "-XX:+UseParallelGC",
            "-Xms32m",
            "-Xmx256m",
            "-XX:MaxMetaspaceSize=160m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dotel.traces.exporter=none",
            "-Dotel.metrics.exporter=none",
            "-cp",
            serverClassPath(),
            RealtimeLoad.class.getName(),
            "server",
            data.toString()));
    HttpClient http = HttpClient.newHttpClient();
    {
      // tokens: 100 connections per user
      int users = (connections + 99) / 100;
      String[] tokens = new String[users];
      for (int u = 0; u < users; u++) {
        tokens[u] = issuer.access("bench-user-" + u, Set.of("chat")).value();
      }

      // ---- baseline: the same number of bare Javalin WebSockets, in a server of its own
      if (System.getenv("UAT_BENCH_SKIP_BARE") == null) {
        try (Server server = Server.start(cmd);
            WebSocketDriver.Driver bare = new WebSocketDriver.Driver(server.barePort)) {
          Stats idle = stats(http, server.control);
          long t0 = System.nanoTime();
          bare.open(connections, i -> "{\"type\":\"hello\"}", "hello");
          System.out.printf(
              Locale.ROOT,
              "bare: %d connections open in %.1f s%n",
              connections,
              (System.nanoTime() - t0) / 1e9);
          Stats withBare = stats(http, server.control);
          report("bare Javalin/Jetty WebSocket", idle, withBare, connections);
        }
      }

      // ---- the hub: authenticated connections, each in its user's channel
      try (Server server = Server.start(cmd);
          WebSocketDriver.Driver hub = new WebSocketDriver.Driver(server.hubPort)) {
        String control = server.control;
        int hubPort = server.hubPort;
        Stats idle2 = stats(http, control);
        long t0 = System.nanoTime();
        hub.open(
            connections,
            i -> "{\"type\":\"connect\",\"token\":\"" + tokens[i % users] + "\"}",
            "connected");
        System.out.printf(
            Locale.ROOT,
            "hub: %d connections authenticated in %.1f s%n",
            connections,
            (System.nanoTime() - t0) / 1e9);
        Stats withHub = stats(http, control);
        report("realtime hub (authenticated, user channel joined)", idle2, withHub, connections);
        if (System.getenv("UAT_BENCH_PAUSE") != null) { // time for jmap/jcmd on the server
          Thread.sleep(Long.parseLong(System.getenv("UAT_BENCH_PAUSE")) * 1000);
        }

        // ---- broadcast: 1 subscriber (baseline), then `subscribers`
        for (int n : new int[] {1, subscribers}) {
          String channel = "conversation:bench-" + n;
          hub.subscribe(channel, n);
          hub.latencies.clear();
          hub.received = 0;
          var warmUp = publish(http, control, channel, 50, gapMicros);
          hub.awaitEvents((long) n * 50, Duration.ofSeconds(60));
          warmUp.get(1, TimeUnit.MINUTES);
          hub.latencies.clear();
          hub.received = 0;
          String gcBefore = get(http, control + "/gc");
          long t1 = System.nanoTime();
          var run = publish(http, control, channel, events, gapMicros);
          hub.awaitEvents((long) n * events, Duration.ofSeconds(120));
          run.get(1, TimeUnit.MINUTES);
          double seconds = (System.nanoTime() - t1) / 1e9;
          long[] l = hub.latencies.toArray();
          Arrays.sort(l);
          System.out.printf(
              Locale.ROOT,
              "broadcast to %d subscriber(s): %d events %d ms apart, %d deliveries in %.1f s;"
                  + " delivery latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms,"
                  + " max %.2f ms%n",
              n,
              events,
              gapMicros / 1000,
              l.length,
              seconds,
              pct(l, 50),
              pct(l, 90),
              pct(l, 99),
              pct(l, 99.9),
              l[l.length - 1] / 1000.0);
          System.out.println(
              "  server GC [collections, ms] before "
                  + gcBefore
                  + " after "
                  + get(http, control + "/gc"));
          hub.unsubscribe(channel, n);
          String metrics =
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hubPort + "/metrics"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          for (String line : metrics.split("\n")) {
            if (line.startsWith("uat_realtime_broadcast_duration_seconds")) {
              System.out.println("  " + line);
            }
          }
        }
      }
    }
  }

  /** A server process (see {@link #server}), stopped by closing its standard input. */
  private record Server(Process process, int hubPort, int barePort, String control)
      implements AutoCloseable {
    static Server start(List<String> cmd) throws IOException {
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String ready;
      while ((ready = out.readLine()) != null && !ready.startsWith("READY ")) {
        // log lines
      }
      if (ready == null) {
        p.destroyForcibly();
        throw new IllegalStateException("the server did not start");
      }
      String[] f = ready.split(" ");
      System.out.printf(Locale.ROOT, "server pid %s%n", f[4]);
      return new Server(
          p, Integer.parseInt(f[1]), Integer.parseInt(f[2]), "http://127.0.0.1:" + f[3]);
    }

    @Override
    public void close() throws IOException {
      process.getOutputStream().close();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  /**
   * The server's class path: the driver's, after {@code UAT_BENCH_SERVER_CP} when set (e.g. another
   * commit's realtime classes, for a before/after run).
   */
  private static String serverClassPath() {
    String cp = System.getProperty("java.class.path");
    String first = System.getenv("UAT_BENCH_SERVER_CP");
    return first == null || first.isBlank() ? cp : first + java.io.File.pathSeparator + cp;
  }

  private static double pct(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
  }

  private static void report(String what, Stats before, Stats after, int n) {
    System.out.printf(
        Locale.ROOT,
        "%s, %d connections: heap +%.1f MB (%.1f KB/connection), direct +%.1f MB,"
            + " RSS +%.1f MB (%.1f KB/connection), threads %d -> %d%n",
        what,
        n,
        (after.heap - before.heap) / 1e6,
        (after.heap - before.heap) / 1024.0 / n,
        (after.direct - before.direct) / 1e6,
        (after.rss - before.rss) / 1e6,
        (after.rss - before.rss) / 1024.0 / n,
        before.threads,
        after.threads);
  }

  private static String get(HttpClient http, String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static Stats stats(HttpClient http, String control) throws Exception {
    return Stats.parse(
        http.send(
                HttpRequest.newBuilder(URI.create(control + "/stats")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /**
   * Asks the server to publish; the driver reads meanwhile ({@link
   * WebSocketDriver.Driver#awaitEvents}).
   */
  private static java.util.concurrent.CompletableFuture<HttpResponse<String>> publish(
      HttpClient http, String control, String channel, int n, long gapUs) {
    return http.sendAsync(
        HttpRequest.newBuilder(
                URI.create(
                    control + "/publish?channel=" + channel + "&n=" + n + "&gap_us=" + gapUs))
            .timeout(Duration.ofMinutes(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A growable array of longs. */
}
