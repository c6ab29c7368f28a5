package dev.uat.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test WebSocket client that queues every frame it receives. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  private final WebSocket socket;

  private WsClient(String url, String bearer) throws Exception {
    WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    this.socket = b.buildAsync(URI.create(url), this).get(10, TimeUnit.SECONDS);
  }

  public static WsClient open(String url) throws Exception {
    return new WsClient(url, null);
  }

  public static WsClient open(String url, String bearer) throws Exception {
    return new WsClient(url, bearer);
  }

  public void send(String json) {
    socket.sendText(json, true).join();
  }

  /** The next frame; fails after 10 s. */
  public JsonNode next() throws InterruptedException {
    JsonNode f = frames.poll(10, TimeUnit.SECONDS);
    if (f == null) {
      throw new AssertionError("no frame within 10 s");
    }
    return f;
  }

  /** The next frame of this type, skipping others; fails after 10 s. */
  public JsonNode next(String type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      JsonNode f = frames.poll(100, TimeUnit.MILLISECONDS);
      if (f != null && f.path("type").asText().equals(type)) {
        return f;
      }
    }
    throw new AssertionError("no '" + type + "' frame within 10 s");
  }

  /** A frame, if one arrives within {@code millis}. */
  public JsonNode poll(long millis) throws InterruptedException {
    return frames.poll(millis, TimeUnit.MILLISECONDS);
  }

  /** The close code the server sent; fails after 10 s. */
  public int closeCode() throws Exception {
    return closed.get(10, TimeUnit.SECONDS);
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      try {
        frames.add(Json.MAPPER.readTree(partial.toString()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      partial.setLength(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    closed.completeExceptionally(error);
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    socket.abort();
  }
}
