package dev.uat.it.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and malformed clients against the real {@code uat up}: slowloris requests and WebSocket
 * handshakes, huge headers, invalid UTF-8, half-closed connections. Each ends with its status or
 * close code (and the edge's counter where it has one); the process's threads, file descriptors and
 * established connections ({@code /proc/<pid>}) come back to where they were.
 */
class MalformedClientTest {
  @TempDir static Path dir;
  static Platform p;
  static String token;
  static long threads0;
  static long fds0;
  static long conns0;

  @BeforeAll
  static void start() throws Exception {
    p = Platform.up(dir.resolve("data"));
    p.env.put("UAT_RATE_LIMIT_CHATS", "0");
    p.env.put("UAT_RATE_LIMIT_REQUESTS", "0");
    p.start();
    token = p.login("slow@example.com");
    // warm: every path once, so lazily made pools and threads exist before the baseline
    for (int i = 0; i < 20; i++) {
      p.call("POST", p.url("edge") + "/api/chat", token, "{\"message\":\"warm\"}");
    }
    Thread.sleep(2_000);
    threads0 = p.threads();
    fds0 = p.fds();
    conns0 = p.establishedConnections();
    System.out.printf("baseline: threads %d, fds %d, connections %d%n", threads0, fds0, conns0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (p != null) {
      assertThat(p.stackTraceLines()).as("stack traces in the log").isEmpty();
      p.close();
    }
  }

  static Socket connect(String component) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", p.ports.get(component)), 5_000);
    s.setSoTimeout(15_000);
    return s;
  }

  static String exchange(Socket s, byte[] request) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request);
    out.flush();
    InputStream in = s.getInputStream();
    String head = RawWebSocket.readHead(in);
    return head;
  }

  /** The process holds no more threads, descriptors and connections than before (some slack). */
  static void noLeak(String after) {
    await()
        .atMost(Duration.ofSeconds(45))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              assertThat(p.establishedConnections())
                  .as(after + ": established connections (baseline " + conns0 + ")")
                  .isLessThanOrEqualTo(conns0 + 4);
              assertThat(p.fds())
                  .as(after + ": file descriptors (baseline " + fds0 + ")")
                  .isLessThanOrEqualTo(fds0 + 10);
              assertThat(p.threads())
                  .as(after + ": threads (baseline " + threads0 + ")")
                  .isLessThanOrEqualTo(threads0 + 10);
            });
    System.out.printf(
        "after %s: threads %d, fds %d, connections %d%n",
        after, p.threads(), p.fds(), p.establishedConnections());
  }

  @Test
  void slowlorisRequestsAndHandshakesHoldNothingAndOthersAreServedMeanwhile() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        Socket s = connect(i % 2 == 0 ? "edge" : "api");
        s.getOutputStream().write("POST /api/chat HTTP/1.1\r\nHost: x\r\n".getBytes());
        slow.add(s);
      }
      for (int i = 0; i < 50; i++) {
        Socket s = connect(i % 2 == 0 ? "edge" : "realtime");
        s.getOutputStream()
            .write(
                "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    .getBytes());
        slow.add(s);
      }
      // a header line a second, never the end of the headers
      for (int second = 0; second < 5; second++) {
        for (Socket s : slow) {
          try {
            s.getOutputStream().write(("X-Slow-" + second + ": y\r\n").getBytes());
          } catch (IOException closedByServer) {
            // the server may hang up on a slow client: its right
          }
        }
        HttpResponse<String> chat =
            p.call("POST", p.url("edge") + "/api/chat", token, "{\"message\":\"meanwhile\"}");
        assertThat(chat.statusCode()).as("a chat while 150 slow clients hang").isEqualTo(200);
        Thread.sleep(1_000);
      }
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
    noLeak("150 slowloris clients");
  }

  @Test
  void hugeHeadersAre431InJsonAndCounted() throws Exception {
    double before = p.metric("edge", "uat_edge_requests_refused_total", "malformed_request");
    for (int i = 0; i < 20; i++) {
      try (Socket s = connect("edge")) {
        String head =
            exchange(
                s,
                ("GET /api/me HTTP/1.1\r\nHost: x\r\nX-Huge: " + "a".repeat(64 * 1024) + "\r\n\r\n")
                    .getBytes());
        assertThat(head).startsWith("HTTP/1.1 431");
        assertThat(head.toLowerCase()).contains("content-type: application/json");
      }
    }
    double after = p.metric("edge", "uat_edge_requests_refused_total", "malformed_request");
    assertThat(after - before).as("counted as malformed_request").isGreaterThanOrEqualTo(20);
    // many headers rather than one huge one
    try (Socket s = connect("edge")) {
      StringBuilder b = new StringBuilder("GET /api/me HTTP/1.1\r\nHost: x\r\n");
      for (int i = 0; i < 5_000; i++) {
        b.append("X-H").append(i).append(": v\r\n");
      }
      String head = exchange(s, b.append("\r\n").toString().getBytes());
      assertThat(head).startsWith("HTTP/1.1 431");
    }
    noLeak("huge headers");
  }

  @Test
  void invalidUtf8IsA400OrA1007NeverA500() throws Exception {
    byte[] bad = {
      '{',
      '"',
      'm',
      'e',
      's',
      's',
      'a',
      'g',
      'e',
      '"',
      ':',
      '"',
      (byte) 0xC3,
      0x28,
      (byte) 0xFF,
      '"',
      '}'
    };
    for (String url :
        List.of(
            p.url("edge") + "/api/chat",
            p.url("edge") + "/v1/chat/completions",
            p.url("edge") + "/api/auth/login",
            p.url("otlp") + "/v1/traces",
            p.url("zipkin") + "/api/v2/spans")) {
      var b =
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
              .header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + token)
              .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bad))
              .build();
      HttpResponse<String> r = p.http.send(b, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(url + ": " + r.body()).isBetween(400, 499);
    }
    // in the URL and in a header
    try (Socket s = connect("edge")) {
      String head =
          exchange(
              s,
              concat(
                  "GET /api/conversations/".getBytes(),
                  new byte[] {(byte) 0xC3, 0x28},
                  " HTTP/1.1\r\nHost: x\r\n\r\n".getBytes()));
      assertThat(head).matches("(?s)HTTP/1.1 4\\d\\d .*");
    }
    try (Socket s = connect("edge")) {
      String head =
          exchange(
              s,
              concat(
                  "GET /api/me HTTP/1.1\r\nHost: x\r\nX-Bad: ".getBytes(),
                  new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF},
                  "\r\nAuthorization: Bearer ".getBytes(),
                  token.getBytes(),
                  "\r\n\r\n".getBytes()));
      assertThat(head).matches("(?s)HTTP/1.1 [234]\\d\\d .*");
    }
    // in a WebSocket text frame: RFC 6455 says 1007; through the edge and directly
    for (String component : List.of("realtime", "edge")) {
      try (RawWebSocket ws =
          new RawWebSocket(
              p.ports.get(component), "/ws", "Authorization: Bearer " + token + "\r\n")) {
        assertThat(ws.handshakeStatus).contains(" 101 ");
        ws.frame(0x81, new byte[] {'{', (byte) 0xC3, 0x28, '}'}, true);
        int code = ws.readUntilClose(5_000);
        System.out.println("invalid UTF-8 text frame to " + component + ": close " + code);
        assertThat(code).as(component).isIn(1007, 1002, 4002);
      }
    }
    assertThat(
            p.call("POST", p.url("edge") + "/api/chat", token, "{\"message\":\"still fine\"}")
                .statusCode())
        .isEqualTo(200);
    noLeak("invalid UTF-8");
  }

  @Test
  void halfClosedConnectionsAreAnsweredAndReleased() throws Exception {
    for (int i = 0; i < 50; i++) {
      try (Socket s = connect(i % 2 == 0 ? "edge" : "api")) {
        String body = "{\"email\":\"nobody@example.com\",\"password\":\"wrong password 1\"}";
        s.getOutputStream()
            .write(
                ("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: "
                        + body.length()
                        + "\r\n\r\n"
                        + body)
                    .getBytes(StandardCharsets.UTF_8));
        s.shutdownOutput(); // half-closed: the request is whole, nothing more will come
        String head = RawWebSocket.readHead(s.getInputStream());
        assertThat(head).matches("(?s)HTTP/1.1 (401|429) .*");
      }
    }
    // half-closed before the body is complete: the server must give up, not wait
    for (int i = 0; i < 50; i++) {
      Socket s = connect("edge");
      s.getOutputStream()
          .write(
              "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em"
                  .getBytes());
      s.shutdownOutput();
      String head = RawWebSocket.readHead(s.getInputStream());
      assertThat(head).as("an incomplete body").matches("(?s)(HTTP/1.1 4\\d\\d .*|)");
      s.close();
    }
    // and WebSockets whose client half-closes without a close frame
    for (int i = 0; i < 20; i++) {
      RawWebSocket ws =
          new RawWebSocket(p.ports.get("edge"), "/ws", "Authorization: Bearer " + token + "\r\n");
      assertThat(ws.upgraded()).isTrue();
      ws.socket.shutdownOutput();
      ws.readUntilClose(5_000);
      ws.close();
    }
    noLeak("half-closed connections");
  }

  static byte[] concat(byte[]... parts) {
    return Seeds.concat(parts);
  }
}
