package dev.uat.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.telemetry.TestTelemetry;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class HttpEventBusTest {
  private static final JwtKeys KEYS = JwtKeys.ephemeral();

  @Test
  void postsEachEventWithAServiceTokenForRealtime() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> services = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/internal/events",
        exchange -> {
          String token = exchange.getRequestHeaders().getFirst("Authorization").substring(7);
          try {
            services.add(TokenVerifier.local(KEYS, "uat-realtime").verifyService(token));
          } catch (InvalidTokenException e) {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
          }
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    server.start();
    try (TestTelemetry otel = new TestTelemetry("uat-api")) {
      HttpEventBus bus =
          new HttpEventBus(
              otel.telemetry(),
              "http://127.0.0.1:" + server.getAddress().getPort() + "/",
              new TokenIssuer(KEYS));
      bus.publish(new Event("conversation:7", "message.created", Map.of("n", 1), null, 42));
      await().atMost(Duration.ofSeconds(5)).until(() -> bodies.size() == 1);
      assertThat(bodies.getFirst()).contains("\"conversation:7\"").contains("\"n\":1");
      assertThat(services).as("the token names the publisher").containsExactly("uat-api");
      await().atMost(Duration.ofSeconds(5)).until(() -> bus.pendingBytes() == 0);
      assertThat(failures(otel)).isZero();
    } finally {
      server.stop(0);
    }
  }

  /** A channel's events arrive in the order they were published, even when one is slow. */
  @Test
  void oneChannelsEventsArriveInOrder() throws Exception {
    List<Integer> arrived = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.createContext(
        "/internal/events",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          int n = Integer.parseInt(body.replaceAll(".*\"n\":(\\d+).*", "$1"));
          if (n == 0) {
            try {
              Thread.sleep(300); // the first is slow: without the order, the others overtake it
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          arrived.add(n);
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    server.start();
    try (TestTelemetry otel = new TestTelemetry("uat-api")) {
      HttpEventBus bus =
          new HttpEventBus(
              otel.telemetry(),
              "http://127.0.0.1:" + server.getAddress().getPort(),
              new TokenIssuer(KEYS));
      for (int n = 0; n < 5; n++) {
        bus.publish(new Event("conversation:7", "message.delta", Map.of("n", n), null, n));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> arrived.size() == 5);
      assertThat(arrived).containsExactly(0, 1, 2, 3, 4);
      assertThat(failures(otel)).isZero();
      await().atMost(Duration.ofSeconds(5)).until(() -> bus.inFlight() == 0);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void postsOnTheirWayToAHangingRealtimeAreBoundedInNumber() throws Exception {
    try (HangingServer hanging = new HangingServer();
        TestTelemetry otel = new TestTelemetry("uat-api")) {
      HttpEventBus bus = new HttpEventBus(otel.telemetry(), hanging.url(), new TokenIssuer(KEYS));
      int sent = HttpEventBus.MAX_IN_FLIGHT + 44;
      for (int i = 0; i < sent; i++) {
        // a channel each: nothing waits behind another, every one may be on its way at once
        bus.publish(new Event("conversation:" + i, "message.created", Map.of("n", i), null, 1));
      }
      assertThat(bus.inFlight()).isEqualTo(HttpEventBus.MAX_IN_FLIGHT);
      assertThat(failures(otel)).as("failed at once").isEqualTo(44);
      await().atMost(Duration.ofSeconds(3)).until(() -> hanging.held() > 0);
      assertThat(hanging.held()).isLessThanOrEqualTo(HttpEventBus.MAX_IN_FLIGHT);
    }
  }

  @Test
  void whatWaitsForAHangingRealtimeIsBoundedInBytes() throws Exception {
    try (HangingServer hanging = new HangingServer();
        TestTelemetry otel = new TestTelemetry("uat-api")) {
      HttpEventBus bus = new HttpEventBus(otel.telemetry(), hanging.url(), new TokenIssuer(KEYS));
      String text = "x".repeat(1024 * 1024);
      long fit = HttpEventBus.MAX_PENDING_BYTES / text.length(); // fewer: each has a JSON frame
      int sent = (int) fit * 2;
      long start = System.nanoTime();
      for (int i = 0; i < sent; i++) {
        bus.publish(new Event("conversation:big", "message.created", Map.of("t", text), null, 1));
      }
      assertThat(bus.pendingBytes()).isLessThanOrEqualTo(HttpEventBus.MAX_PENDING_BYTES);
      // past the budget they fail at once, long before the 5-s timeout
      await().atMost(Duration.ofSeconds(2)).until(() -> failures(otel) >= sent - fit);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
      // the ones that waited fail at the timeout and give their bytes back
      await().atMost(Duration.ofSeconds(15)).until(() -> failures(otel) == sent);
      assertThat(bus.pendingBytes()).isZero();
    }
  }

  /** A server that accepts connections and never answers; closing it closes them. */
  private static final class HangingServer implements AutoCloseable {
    private final ServerSocket socket = new ServerSocket(0, 500, InetAddress.getLoopbackAddress());
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    HangingServer() throws IOException {
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  while (true) {
                    held.add(socket.accept());
                  }
                } catch (IOException e) {
                  // closed
                }
              });
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    int held() {
      return held.size();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  private static long failures(TestTelemetry t) {
    return t.metrics().stream()
        .filter(m -> m.getName().equals("uat.events.publish.failed"))
        .flatMap(m -> m.getLongSumData().getPoints().stream())
        .mapToLong(LongPointData::getValue)
        .sum();
  }
}
