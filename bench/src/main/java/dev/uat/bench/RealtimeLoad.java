package dev.uat.bench;

import com.sun.net.httpserver.HttpServer;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * <p>The driver starts the server as a child JVM (the launcher's flags: serial GC, 256 MB heap)
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
      server(Path.of(args[1]));
      return;
    }
    int connections = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int subscribers = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int events = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    long gapMicros = args.length > 3 ? Long.parseLong(args[3]) * 1000 : 100_000;
    drive(connections, subscribers, events, gapMicros);
  }

  // ------------------------------------------------------------------ the server process

  static void server(Path data) throws Exception {
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
            "-XX:+UseSerialGC",
            "-Xms32m",
            "-Xmx256m",
            "-XX:MaxMetaspaceSize=160m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dotel.traces.exporter=none",
            "-Dotel.metrics.exporter=none",
            "-cp",
            System.getProperty("java.class.path"),
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
      try (Server server = Server.start(cmd);
          Driver bare = new Driver(server.barePort)) {
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

      // ---- the hub: authenticated connections, each in its user's channel
      try (Server server = Server.start(cmd);
          Driver hub = new Driver(server.hubPort)) {
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
          hub.unsubscribe(channel);
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

  private static Stats stats(HttpClient http, String control) throws Exception {
    return Stats.parse(
        http.send(
                HttpRequest.newBuilder(URI.create(control + "/stats")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  /** Asks the server to publish; the driver reads meanwhile ({@link Driver#awaitEvents}). */
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
  static final class Longs {
    private long[] a = new long[1 << 16];
    private int n;

    synchronized void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    synchronized void clear() {
      n = 0;
    }

    synchronized long[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  /** Many WebSocket clients on one selector thread. */
  static final class Driver implements AutoCloseable {
    private static final byte[] MASK = {0x12, 0x34, 0x56, 0x78};

    private final int port;
    private final Selector selector;
    private final List<Client> clients = new ArrayList<>();
    final Longs latencies = new Longs();
    volatile long received;

    Driver(int port) throws IOException {
      this.port = port;
      this.selector = Selector.open();
    }

    private final class Client {
      final SocketChannel ch;
      final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
      final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
      boolean upgraded;
      String waitingFor;
      boolean done;
      final String first;

      Client(SocketChannel ch, String first, String waitingFor) {
        this.ch = ch;
        this.first = first;
        this.waitingFor = waitingFor;
      }
    }

    interface FirstFrame {
      String frame(int index);
    }

    /**
     * Opens {@code n} connections, at most 32 in progress at once (the server's accept backlog is
     * 50); each sends its first frame.
     */
    void open(int n, FirstFrame first, String reply) throws IOException {
      int started = 0;
      int pendingDone = 0;
      int done = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (done < n) {
        while (started < n && started - done < 32) {
          SocketChannel ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
          Client c = new Client(ch, first.frame(started), reply);
          clients.add(c);
          ch.register(selector, SelectionKey.OP_CONNECT, c);
          started++;
        }
        pump(50);
        pendingDone = 0;
        for (int i = done; i < clients.size(); i++) {
          if (clients.get(i).done) {
            pendingDone++;
          } else {
            break;
          }
        }
        done += pendingDone;
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + done + " of " + n + " connections opened");
        }
      }
    }

    void subscribe(String channel, int n) throws IOException {
      for (int i = 0; i < n; i++) {
        Client c = clients.get(i);
        c.done = false;
        c.waitingFor = "subscribed";
        send(c, "{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (true) {
        pump(50);
        boolean all = true;
        for (int i = 0; i < n; i++) {
          all &= clients.get(i).done;
        }
        if (all) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("subscriptions did not complete");
        }
      }
    }

    void unsubscribe(String channel) throws IOException {
      for (Client c : clients) {
        send(c, "{\"type\":\"unsubscribe\",\"channel\":\"" + channel + "\"}");
      }
      pump(200);
    }

    void awaitEvents(long n, Duration max) throws IOException {
      long deadline = System.nanoTime() + max.toNanos();
      while (received < n) {
        pump(20);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + received + " of " + n + " events arrived");
        }
      }
    }

    void closeAll() throws IOException {
      for (Client c : clients) {
        c.ch.close();
      }
      clients.clear();
      selector.selectNow();
    }

    private void pump(long millis) throws IOException {
      selector.select(millis);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey k = keys.next();
        keys.remove();
        Client c = (Client) k.attachment();
        try {
          if (k.isConnectable() && c.ch.finishConnect()) {
            String handshake =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
                    + port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            c.out.add(ByteBuffer.wrap(handshake.getBytes(StandardCharsets.US_ASCII)));
            k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          }
          if (k.isValid() && k.isWritable()) {
            flush(c, k);
          }
          if (k.isValid() && k.isReadable()) {
            read(c, k);
          }
        } catch (IOException e) {
          k.cancel();
          c.ch.close();
        }
      }
    }

    private void flush(Client c, SelectionKey k) throws IOException {
      while (!c.out.isEmpty()) {
        ByteBuffer b = c.out.peek();
        c.ch.write(b);
        if (b.hasRemaining()) {
          k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          return;
        }
        c.out.poll();
      }
      k.interestOps(SelectionKey.OP_READ);
    }

    private void send(Client c, String text) throws IOException {
      c.out.add(frame(text));
      SelectionKey k = c.ch.keyFor(selector);
      if (k != null && k.isValid()) {
        flush(c, k);
      }
    }

    private static ByteBuffer frame(String text) {
      byte[] p = text.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(p.length + 8);
      b.put((byte) 0x81);
      if (p.length < 126) {
        b.put((byte) (0x80 | p.length));
      } else {
        b.put((byte) (0x80 | 126));
        b.putShort((short) p.length);
      }
      b.put(MASK);
      for (int i = 0; i < p.length; i++) {
        b.put((byte) (p[i] ^ MASK[i & 3]));
      }
      return b.flip();
    }

    private void read(Client c, SelectionKey k) throws IOException {
      int n = c.ch.read(c.in);
      if (n < 0) {
        k.cancel();
        c.ch.close();
        return;
      }
      c.in.flip();
      if (!c.upgraded) {
        int end = indexOf(c.in, "\r\n\r\n");
        if (end < 0) {
          c.in.compact();
          return;
        }
        c.in.position(end + 4);
        c.upgraded = true;
        send(c, c.first);
      }
      while (c.in.remaining() >= 2) {
        int start = c.in.position();
        int b1 = c.in.get(start + 1) & 0x7f;
        int header = 2;
        long length = b1;
        if (b1 == 126) {
          if (c.in.remaining() < 4) {
            break;
          }
          length = c.in.getShort(start + 2) & 0xffff;
          header = 4;
        } else if (b1 == 127) {
          if (c.in.remaining() < 10) {
            break;
          }
          length = c.in.getLong(start + 2);
          header = 10;
        }
        if (c.in.remaining() < header + length) {
          break;
        }
        int from = start + header;
        int to = (int) (from + length);
        c.in.position(to);
        long t = eventTime(c.in, from, to);
        if (t > 0) {
          // an event: only its publish time is read, without building a string
          latencies.add(micros() - t);
          received++;
          continue;
        }
        byte[] payload = new byte[(int) length];
        c.in.get(from, payload);
        onFrame(c, c.in.get(start) & 0x0f, new String(payload, StandardCharsets.UTF_8));
      }
      c.in.compact();
    }

    private void onFrame(Client c, int opcode, String text) throws IOException {
      if (opcode != 1) {
        return;
      }
      if (text.equals("{\"type\":\"ping\"}")) {
        send(c, "{\"type\":\"pong\"}");
      } else if (c.waitingFor != null && text.contains("\"" + c.waitingFor + "\"")) {
        c.done = true;
      } else if (text.contains("\"error\"")) {
        System.err.println("error frame: " + text);
      }
    }

    private static final byte[] EVENT = "{\"type\":\"event\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TIME = "\"t\":".getBytes(StandardCharsets.US_ASCII);

    /** The {@code "t"} of an event frame in {@code b[from, to)}, or -1 for other frames. */
    private static long eventTime(ByteBuffer b, int from, int to) {
      if (to - from < EVENT.length) {
        return -1;
      }
      for (int i = 0; i < EVENT.length; i++) {
        if (b.get(from + i) != EVENT[i]) {
          return -1;
        }
      }
      outer:
      for (int i = from + EVENT.length; i <= to - TIME.length; i++) {
        for (int j = 0; j < TIME.length; j++) {
          if (b.get(i + j) != TIME[j]) {
            continue outer;
          }
        }
        long v = 0;
        for (int k = i + TIME.length; k < to; k++) {
          byte d = b.get(k);
          if (d < '0' || d > '9') {
            break;
          }
          v = v * 10 + (d - '0');
        }
        return v;
      }
      return -1;
    }

    private static int indexOf(ByteBuffer b, String s) {
      byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
      outer:
      for (int i = b.position(); i <= b.limit() - needle.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (b.get(i + j) != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    @Override
    public void close() throws IOException {
      closeAll();
      selector.close();
    }
  }
}
