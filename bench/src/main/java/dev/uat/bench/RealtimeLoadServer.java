package dev.uat.bench;

import com.sun.net.httpserver.HttpServer;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.Event;
import dev.uat.events.InProcessEventBus;
import dev.uat.realtime.Realtime;
import dev.uat.realtime.RealtimeEvents;
import dev.uat.realtime.RealtimeSettings;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import io.javalin.Javalin;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server side of {@link RealtimeLoad}, run as a child JVM with the launcher's flags: a realtime
 * hub on an in-process bus, a fake api that lets everyone into {@code conversation:bench}, a
 * control endpoint that publishes and reports memory, and a bare Javalin WebSocket endpoint ({@code
 * /bare}) with no hub behind it, the baseline.
 */
final class RealtimeLoadServer {
  private RealtimeLoadServer() {}

  static void run(Path data) throws Exception {
    JwtKeys keys = JwtKeys.loadOrCreate(data);
    InProcessEventBus bus = new InProcessEventBus();
    HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
    control.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    // the fake api: every conversation belongs to everyone
    control.createContext(
        "/api/conversations/",
        x -> {
          x.sendResponseHeaders(204, -1);
          x.close();
        });
    control.createContext(
        "/publish",
        x -> {
          Map<String, String> q = query(x.getRequestURI().getQuery());
          int n = Integer.parseInt(q.getOrDefault("n", "100"));
          long gapMicros = Long.parseLong(q.getOrDefault("gap_us", "20000"));
          String channel = q.getOrDefault("channel", "conversation:bench");
          for (int i = 0; i < n; i++) {
            long t = micros();
            bus.publish(
                new Event(
                    channel,
                    "message.created",
                    Map.of("t", t, "seq", i, "text", "a typical short chat event payload"),
                    null,
                    System.currentTimeMillis()));
            long wait = t + gapMicros - micros();
            if (wait > 0) {
              sleepMicros(wait);
            }
          }
          reply(x, "{\"published\":" + n + "}");
        });
    control.createContext(
        "/gc",
        x -> {
          StringBuilder json = new StringBuilder("{");
          for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            json.append(json.length() > 1 ? "," : "")
                .append('"')
                .append(gc.getName())
                .append("\":[")
                .append(gc.getCollectionCount())
                .append(',')
                .append(gc.getCollectionTime())
                .append(']');
          }
          reply(x, json.append('}').toString());
        });
    control.createContext(
        "/stats",
        x -> {
          for (int i = 0; i < 3; i++) {
            System.gc();
          }
          var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
          var nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getUsed();
          long direct = 0;
          for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            direct += b.getMemoryUsed();
          }
          reply(
              x,
              String.format(
                  Locale.ROOT,
                  "{\"heap\":%d,\"non_heap\":%d,\"direct\":%d,\"rss\":%d,\"threads\":%d}",
                  heap,
                  nonHeap,
                  direct,
                  rss(),
                  Thread.activeCount()));
        });
    control.start();
    String api = "http://127.0.0.1:" + control.getAddress().getPort();

    Telemetry telemetry =
        Telemetry.create(new TelemetrySettings("uat-realtime", "http://127.0.0.1:1", false, true));
    Realtime realtime =
        Realtime.start(
            RealtimeSettings.defaults(api).toBuilder()
                .port(0)
                .maxConnections(50_000)
                .maxConnectionsPerUser(100)
                // the driver authenticates up to 32 connections at once, all from 127.0.0.1
                .maxUnauthenticatedPerAddress(64)
                .build(),
            telemetry,
            RealtimeEvents.inMemory(bus),
            TokenVerifier.local(keys, Realtime.AUDIENCE));

    // the baseline: Javalin and Jetty alone, a WebSocket that only echoes
    Javalin bare =
        Javalin.create(
                cfg -> {
                  cfg.startup.showJavalinBanner = false;
                  cfg.concurrency.useVirtualThreads = true;
                  cfg.jetty.host = "127.0.0.1";
                  cfg.jetty.port = 0;
                  cfg.routes.ws("/ws", ws -> ws.onMessage(ctx -> ctx.send(ctx.message())));
                })
            .start();

    System.out.println(
        "READY "
            + realtime.port()
            + " "
            + bare.port()
            + " "
            + control.getAddress().getPort()
            + " "
            + ProcessHandle.current().pid());
    System.out.flush();
    // runs until the driver kills it (or stdin closes)
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    bare.stop();
    realtime.close();
    telemetry.close();
    control.stop(0);
    System.exit(0);
  }

  private static void reply(com.sun.net.httpserver.HttpExchange x, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(200, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  private static Map<String, String> query(String q) {
    Map<String, String> out = new java.util.HashMap<>();
    if (q != null) {
      for (String kv : q.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
    }
    return out;
  }

  private static long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return -1;
  }

  static long micros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
  }

  private static void sleepMicros(long micros) {
    try {
      TimeUnit.MICROSECONDS.sleep(micros);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
