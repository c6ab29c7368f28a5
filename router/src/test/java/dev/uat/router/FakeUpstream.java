package dev.uat.router;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** A model server stand-in: a fixed answer per path, and every request it got, recorded. */
final class FakeUpstream implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final Map<String, MockResponse> answers = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<RecordedRequest> requests = new ConcurrentLinkedQueue<>();

  FakeUpstream() throws IOException {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request);
            String path = request.getUrl().encodedPath();
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

  /** Answers every request to {@code path} with nothing, for longer than any test waits. */
  FakeUpstream hangOn(String path) {
    answers.put(
        path, new MockResponse.Builder().headersDelay(60, TimeUnit.SECONDS).body("{}").build());
    return this;
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

  @Override
  public void close() {
    server.close();
  }
}
