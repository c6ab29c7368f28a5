package dev.uat.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A receiver of Alertmanager's webhook JSON on loopback: keeps every notification and the {@code
 * Authorization} header it came with. Thread-safe.
 */
final class Webhook implements AutoCloseable {
  record Notification(String authorization, JsonNode body) {}

  final List<Notification> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  Webhook() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext(
        "/uat-alerts",
        ex -> {
          JsonNode body = new ObjectMapper().readTree(ex.getRequestBody());
          received.add(new Notification(ex.getRequestHeaders().getFirst("Authorization"), body));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/uat-alerts";
  }

  /** Whether a firing notification for {@code alertname} arrived. */
  boolean firing(String alertname) {
    for (Notification n : received) {
      for (JsonNode a : n.body().path("alerts")) {
        if (a.path("status").asText().equals("firing")
            && a.at("/labels/alertname").asText().equals(alertname)) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
