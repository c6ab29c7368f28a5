package dev.uat.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible model server on loopback for the routers: {@code slow-model} answers after
 * {@link #delayMillis} (the "slow provider" that must make the 200 ms alert fire), {@code
 * flaky-model} always fails with 503 (the routers fall back). Streaming and non-streaming chat,
 * {@code GET /v1/models}. Thread-safe (one virtual thread per exchange).
 */
final class FakeProvider implements AutoCloseable {
  final AtomicInteger delayMillis = new AtomicInteger(0);
  final AtomicInteger calls = new AtomicInteger();
  private final HttpServer server;

  FakeProvider() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/models", this::models);
    server.createContext("/v1/chat/completions", this::chat);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  private void models(HttpExchange ex) throws IOException {
    send(
        ex,
        200,
        "application/json",
        "{\"object\":\"list\",\"data\":[{\"id\":\"slow-model\",\"object\":\"model\",\"created\":1,"
            + "\"owned_by\":\"fake\"},{\"id\":\"flaky-model\",\"object\":\"model\",\"created\":1,"
            + "\"owned_by\":\"fake\"}]}");
  }

  private void chat(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    calls.incrementAndGet();
    if (body.contains("flaky-model")) {
      send(
          ex,
          503,
          "application/json",
          "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}");
      return;
    }
    try {
      Thread.sleep(delayMillis.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String head = "{\"id\":\"chatcmpl-fake\",\"created\":1,\"model\":\"slow-model\",";
    if (body.replace(" ", "").contains("\"stream\":true")) {
      StringBuilder sse = new StringBuilder();
      sse.append("data: ")
          .append(head)
          .append("\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":")
          .append("{\"role\":\"assistant\",\"content\":\"slow \"},\"finish_reason\":null}]}\n\n");
      sse.append("data: ")
          .append(head)
          .append("\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":")
          .append("{\"content\":\"answer\"},\"finish_reason\":null}]}\n\n");
      sse.append("data: ")
          .append(head)
          .append("\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},")
          .append("\"finish_reason\":\"stop\"}]}\n\n");
      sse.append("data: ")
          .append(head)
          .append("\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":")
          .append("{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n");
      sse.append("data: [DONE]\n\n");
      send(ex, 200, "text/event-stream", sse.toString());
    } else {
      send(
          ex,
          200,
          "application/json",
          head
              + "\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
              + "\"assistant\",\"content\":\"slow answer\"},\"finish_reason\":\"stop\"}],"
              + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}");
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
