package dev.uat.router;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A model server stand-in: per path, queued answers first (each used once), then a fixed answer;
 * every request it got, recorded.
 */
final class FakeUpstream implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final Map<String, MockResponse> answers = new ConcurrentHashMap<>();
  private final Map<String, Queue<MockResponse>> queued = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<RecordedRequest> requests = new ConcurrentLinkedQueue<>();

  FakeUpstream() throws IOException {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request);
            String path = request.getUrl().encodedPath();
            Queue<MockResponse> queue = queued.get(path);
            MockResponse next = queue == null ? null : queue.poll();
            if (next != null) {
              return next;
            }
            MockResponse answer = answers.get(path);
            return answer != null
                ? answer
                : json(404, "{\"error\":\"no fake answer for " + path + "\"}");
          }
        });
    server.start(InetAddress.getByName("127.0.0.1"), 0);
  }

  /** Answers every request to {@code path} with this JSON. */
  FakeUpstream on(String path, int status, String json) {
    answers.put(path, json(status, json));
    return this;
  }

  /** Answers every request to {@code path} with this response. */
  FakeUpstream on(String path, MockResponse response) {
    answers.put(path, response);
    return this;
  }

  /** Answers the next requests to {@code path} with these, once each, before the fixed answer. */
  FakeUpstream enqueue(String path, MockResponse... responses) {
    Queue<MockResponse> q = queued.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>());
    q.addAll(List.of(responses));
    return this;
  }

  /** Answers every request to {@code path} with nothing, for longer than any test waits. */
  FakeUpstream hangOn(String path) {
    answers.put(path, hanging());
    return this;
  }

  static MockResponse hanging() {
    return new MockResponse.Builder().headersDelay(60, TimeUnit.SECONDS).body("{}").build();
  }

  /** The base URL, with {@code suffix} appended (e.g. "/v1"). */
  String url(String suffix) {
    return "http://127.0.0.1:" + server.getPort() + suffix;
  }

  String url() {
    return url("");
  }

  int port() {
    return server.getPort();
  }

  /** The requests made to {@code path}, in order. */
  List<RecordedRequest> requests(String path) {
    return requests.stream().filter(r -> r.getUrl().encodedPath().equals(path)).toList();
  }

  static MockResponse json(int status, String json) {
    return new MockResponse.Builder()
        .code(status)
        .setHeader("Content-Type", "application/json; charset=utf-8")
        .body(json)
        .build();
  }

  /** A streamed answer: the body written as it is, chunked. */
  static MockResponse stream(String contentType, String body) {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", contentType)
        .chunkedBody(body, 64)
        .build();
  }

  /** Headers at once, then no body for longer than any test waits. */
  static MockResponse stalledStream(String contentType) {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", contentType)
        .bodyDelay(60, TimeUnit.SECONDS)
        .chunkedBody("x", 1)
        .build();
  }

  @Override
  public void close() {
    server.close();
  }
}
