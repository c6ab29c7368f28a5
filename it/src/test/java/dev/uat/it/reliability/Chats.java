package dev.uat.it.reliability;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Many {@code POST /api/chat} through the edge from a few threads. */
final class Chats {
  private Chats() {}

  static List<HttpResponse<String>> run(
      Platform p, String token, String body, int count, int threads) throws Exception {
    List<Future<HttpResponse<String>>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int i = 0; i < count; i++) {
        futures.add(pool.submit(() -> p.call("POST", p.url("edge") + "/api/chat", token, body)));
      }
    }
    List<HttpResponse<String>> out = new ArrayList<>();
    for (Future<HttpResponse<String>> f : futures) {
      out.add(f.get());
    }
    return out;
  }

  static long failures(List<HttpResponse<String>> responses) {
    return responses.stream().filter(r -> r.statusCode() != 200).count();
  }

  static String firstFailure(List<HttpResponse<String>> responses) {
    return responses.stream()
        .filter(r -> r.statusCode() != 200)
        .findFirst()
        .map(r -> r.statusCode() + " " + r.body())
        .orElse("none");
  }
}
