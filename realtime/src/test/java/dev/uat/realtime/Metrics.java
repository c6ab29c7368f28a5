package dev.uat.realtime;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Reads a service's {@code /metrics}. */
final class Metrics {
  private Metrics() {}

  static String scrape(Realtime realtime) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(realtime.url() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
