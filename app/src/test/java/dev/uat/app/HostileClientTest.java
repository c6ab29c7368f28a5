package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacks of issue 9, each driven past its limit against the real {@code uat up} process with
 * the launcher's own 256 MiB heap (which every component shares, and which exits on
 * OutOfMemoryError): after each one the process still serves chats, and a counter on a component's
 * {@code /metrics} shows what was refused or dropped. The process's RSS is printed after each.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileClientTest {
  @TempDir static Path tmp;
  static LaunchedPlatform uat;
  static String alice;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void up() throws Exception {
    uat = new LaunchedPlatform(tmp.resolve("data"));
    uat.env.put("UAT_RATE_LIMIT_CHATS", "0"); // the floods below are not rate limits' to stop
    uat.env.put("UAT_RATE_LIMIT_REQUESTS", "0");
    // echo's answers are not cached by default (they cost nothing): cache them to test the cache
    Path routerConfig = tmp.resolve("router.yaml");
    java.nio.file.Files.writeString(
        routerConfig, "providers:\n  - name: echo\n    kind: echo\n    cache: true\n");
    uat.env.put("UAT_ROUTER_CONFIG", routerConfig.toString());
    uat.start();
    alice = uat.login("alice@example.com", "a long password");
    rss("started");
  }

  @AfterAll
  static void down() throws Exception {
    if (uat != null) {
      uat.close();
      List<String> log = java.nio.file.Files.readAllLines(uat.log());
      log.stream()
          .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("\tat "))
          .limit(40)
          .forEach(l -> System.out.println("HostileClientTest log: " + l));
      assertThat(log)
          .as("no attack leaves a stack trace in the log")
          .noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception:"));
    }
  }

  /** After each attack: alive, and a chat still goes through the edge. */
  private static void stillServesChats(String after) throws Exception {
    assertThat(uat.alive()).as("the process is alive after " + after).isTrue();
    var chat =
        uat.call("POST", uat.url("edge") + "/api/chat", alice, "{\"message\":\"still there?\"}");
    assertThat(chat.statusCode()).as("a chat after " + after).isEqualTo(200);
    rss(after);
  }

  private static void rss(String after) {
    System.out.printf("HostileClientTest: RSS after %s: %d MiB%n", after, uat.rssMiB());
  }

  @Test
  @Order(1)
  void gzipBombsAtBothTraceReceiversAreRefused() throws Exception {
    byte[] bomb = gzipOfZeros(64 << 20); // ~65 KB inflating to 64 MiB
    assertThat(bomb.length).isLessThan(100_000);
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sent.add(post(otlp(), "application/x-protobuf", bomb, true));
      sent.add(post(zipkin(), "application/json", bomb, true));
    }
    for (var f : sent) {
      assertThat(f.join().statusCode()).isIn(413, 429);
    }
    assertThat(uat.metric("observatory", "uat_observatory_ingest_refused_total")).isGreaterThan(0);
    assertThat(uat.metric("observatory", "uat_observatory_ingest_in_flight_peak_bytes"))
        .isLessThanOrEqualTo(
            uat.metric("observatory", "uat_observatory_ingest_in_flight_limit_bytes"));
    stillServesChats("8 gzip bombs at the receivers");
  }

  @Test
  @Order(2)
  void uniqueHugeServiceAndOperationNamesAreCutAndBudgeted() throws Exception {
    // the 30 requests of 50 spans, each name 64 KB: too large to hold, refused whole
    for (int r = 0; r < 30; r++) {
      assertThat(post(otlp(), "application/json", namesExport(r, 50), false).join().statusCode())
          .isIn(413, 429);
    }
    // the same 1,500 spans in requests the receiver takes: stored with their names cut
    int stored = 0;
    for (int r = 0; r < 150; r++) {
      int status =
          post(otlp(), "application/json", namesExport(100 + r, 10), false).join().statusCode();
      assertThat(status).isIn(200, 429);
      stored += status == 200 ? 1 : 0;
    }
    assertThat(stored).isGreaterThan(100);
    assertThat(uat.metric("observatory", "uat_observatory_ingest_truncated_total"))
        .isGreaterThan(0);
    assertThat(uat.metric("observatory", "uat_observatory_store_bytes"))
        .isLessThanOrEqualTo(uat.metric("observatory", "uat_observatory_store_limit_bytes"));
    JsonNode services =
        LaunchedPlatform.json(
            uat.call("GET", uat.url("observatory") + "/api/services", null, null));
    for (JsonNode s : services.get("data")) {
      assertThat(s.asText().length()).isLessThanOrEqualTo(256);
    }
    stillServesChats("1,500 spans with unique 64 KB names");
  }

  @Test
  @Order(3)
  void urlsTheEdgeCannotTakeAsTheyAreAre4xxNot500() throws Exception {
    assertThat(rawStatus("GET /api/conversations?x=a|b HTTP/1.1")).isEqualTo(401);
    assertThat(rawStatus("GET /api/conversations?x=%zz HTTP/1.1")).isEqualTo(400);
    assertThat(rawStatus("GET /v1/models/%00 HTTP/1.1")).isEqualTo(400);
    assertThat(uat.metric("edge", "uat_edge_requests_refused_total")).isGreaterThan(0);
    stillServesChats("malformed URLs");
  }

  @Test
  @Order(4)
  void aGzipBombAtTheEdgeIsRefusedAfterInflatingNoMoreThanTheLimit() throws Exception {
    byte[] bomb = gzipOfZeros(64 << 20);
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      sent.add(post(uat.url("edge") + "/api/chat", "application/json", bomb, true));
    }
    for (var f : sent) {
      assertThat(f.join().statusCode()).isIn(413, 503);
    }
    assertThat(uat.metric("edge", "uat_edge_requests_refused_total")).isGreaterThan(1);
    stillServesChats("8 gzip bombs at the edge");
  }

  @Test
  @Order(5)
  void twoUsersWithTheSamePromptNeverShareACacheEntry() throws Exception {
    String bob = uat.login("bob@example.com", "another long password");
    String prompt =
        "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"my secret plan\"}]}";
    String path = uat.url("edge") + "/v1/chat/completions";
    assertThat(cacheHeader(path, alice, prompt)).isEqualTo("miss");
    assertThat(cacheHeader(path, bob, prompt)).as("bob's first ask").isEqualTo("miss");
    assertThat(cacheHeader(path, alice, prompt)).isEqualTo("hit");
    assertThat(cacheHeader(path, bob, prompt)).isEqualTo("hit");
  }

  @Test
  @Order(6)
  void aFloodOfLargeChatsKeepsHistoryAndConversationReadsWithinTheirBytes() throws Exception {
    String conversation =
        LaunchedPlatform.json(
                uat.call(
                    "POST", uat.url("edge") + "/api/conversations", alice, "{\"title\":\"flood\"}"))
            .get("id")
            .asText();
    String big = "x".repeat(30_000);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> chats = new ArrayList<>();
      for (int i = 0; i < 320; i++) {
        String body =
            "{\"conversation_id\":\"" + conversation + "\",\"message\":\"" + i + " " + big + "\"}";
        chats.add(
            pool.submit(
                () -> uat.call("POST", uat.url("edge") + "/api/chat", alice, body).statusCode()));
      }
      for (Future<Integer> c : chats) {
        assertThat(c.get()).isEqualTo(200);
      }
    } finally {
      pool.shutdown();
    }
    // ~640 events of ~30-60 KB each went through realtime's history: more than its 16 MiB
    double history = uat.metric("realtime", "uat_realtime_history_size_bytes");
    assertThat(history).isGreaterThan(0).isLessThanOrEqualTo(16 << 20);
    assertThat(uat.metric("realtime", "uat_realtime_history_dropped_total")).isGreaterThan(0);

    var read = uat.call("GET", uat.url("edge") + "/api/conversations/" + conversation, alice, null);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1 << 20);
    assertThat(LaunchedPlatform.json(read).get("next_cursor").isNull()).isFalse();
    assertThat(uat.metric("api", "uat_api_limit_hits_total")).isGreaterThan(0);
    stillServesChats("320 chats of 30,000 characters");
  }

  @Test
  @Order(7)
  void unauthenticatedWebSocketsAreCappedPerAddress() throws Exception {
    String ws = uat.url("edge").replaceFirst("^http", "ws") + "/ws";
    List<WebSocket> open = new ArrayList<>();
    java.util.Queue<Integer> closes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          @Override
          public java.util.concurrent.CompletionStage<?> onClose(
              WebSocket socket, int code, String reason) {
            closes.add(code);
            return null;
          }
        };
    try {
      for (int i = 0; i < 24; i++) {
        open.add(
            http.newWebSocketBuilder()
                .header("X-Forwarded-For", "198.51.100.77") // the test is a trusted proxy
                .buildAsync(URI.create(ws), listener)
                .join());
      }
      // the edge relays each to realtime, which takes 16 unauthenticated ones from this address
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> closes.stream().filter(c -> c == 4030).count() >= 8);
    } finally {
      for (WebSocket w : open) {
        w.abort();
      }
    }
    assertThat(uat.metric("realtime", "uat_realtime_limits_refused_total"))
        .isGreaterThanOrEqualTo(8);
    stillServesChats("24 unauthenticated WebSockets from one address");
  }

  @Test
  @Order(8)
  void failedLoginsFromAStrangerNeverLockTheOwnerOut() throws Exception {
    String wrong = "{\"email\":\"alice@example.com\",\"password\":\"not the password\"}";
    int throttled = 0;
    for (int i = 0; i < 16; i++) {
      int status = login(wrong, "203.0.113.5");
      assertThat(status).isIn(401, 429);
      throttled += status == 429 ? 1 : 0;
    }
    assertThat(throttled).isGreaterThan(0);
    String right = "{\"email\":\"alice@example.com\",\"password\":\"a long password\"}";
    assertThat(login(right, "198.51.100.9")).as("the owner, from her own address").isEqualTo(200);
    assertThat(uat.metric("api", "uat_api_limit_hits_total")).isGreaterThan(0);
    stillServesChats("failed logins");
  }

  private static int login(String body, String address) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(uat.url("edge") + "/api/auth/login"))
                .header("X-Forwarded-For", address) // the test sits on loopback: a trusted proxy
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private static String cacheHeader(String url, String token, String body) throws Exception {
    HttpResponse<String> r = uat.call("POST", url, token, body);
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().firstValue("X-Router-Cache").orElse("");
  }

  private static String otlp() {
    return "http://127.0.0.1:" + uat.port("otlp-port") + "/v1/traces";
  }

  private static String zipkin() {
    return "http://127.0.0.1:" + uat.port("zipkin-port") + "/api/v2/spans";
  }

  private static CompletableFuture<HttpResponse<String>> post(
      String url, String type, byte[] body, boolean gzip) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (gzip) {
      b.header("Content-Encoding", "gzip");
    }
    if (url.startsWith(uat.url("edge"))) {
      b.header("Authorization", "Bearer " + alice);
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static byte[] gzipOfZeros(int bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      byte[] zeros = new byte[1 << 20];
      for (int left = bytes; left > 0; left -= zeros.length) {
        gz.write(zeros, 0, Math.min(left, zeros.length));
      }
    }
    return out.toByteArray();
  }

  /** An OTLP/JSON export of {@code spans} spans, each of its own service, names 64 KB long. */
  static byte[] namesExport(int request, int spans) {
    StringBuilder b = new StringBuilder("{\"resourceSpans\":[");
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int s = 0; s < spans; s++) {
      String unique = request + "-" + s + "-";
      String service = unique + "s".repeat(64 * 1024);
      String operation = unique + "o".repeat(64 * 1024);
      long start = System.currentTimeMillis() * 1_000_000L;
      if (s > 0) {
        b.append(',');
      }
      b.append(
              "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"")
          .append(service)
          .append("\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"")
          .append(hex(random, 16))
          .append("\",\"spanId\":\"")
          .append(hex(random, 8))
          .append("\",\"name\":\"")
          .append(operation)
          .append("\",\"kind\":2,\"startTimeUnixNano\":\"")
          .append(start)
          .append("\",\"endTimeUnixNano\":\"")
          .append(start + 1_000_000)
          .append("\"}]}]}");
    }
    return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String hex(ThreadLocalRandom random, int bytes) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < bytes; i++) {
      b.append(String.format("%02x", random.nextInt(256)));
    }
    return b.toString();
  }

  /** Sends a raw request line (one HttpClient would refuse) to the edge; the answer's status. */
  private static int rawStatus(String requestLine) throws IOException {
    int port = URI.create(uat.url("edge")).getPort();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          (requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
      return Integer.parseInt(head.substring(9, 12));
    }
  }
}
