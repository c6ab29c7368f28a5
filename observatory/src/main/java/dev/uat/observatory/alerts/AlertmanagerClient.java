package dev.uat.observatory.alerts;

import static java.util.Objects.requireNonNull;

import dev.uat.web.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Posts alerts to an Alertmanager's API v2 ({@code POST <url>/api/v2/alerts}), in the form
 * Prometheus sends them: labels {@code alertname}, {@code service}, {@code severity}, {@code
 * source=uat-observatory}; annotations {@code summary}, {@code value}, {@code exemplar_trace_ids}
 * and {@code trace_url}; {@code startsAt}, {@code endsAt} (in the future while firing, the
 * resolution time once resolved) and {@code generatorURL}. Blocking, with a 5-second timeout; used
 * from the evaluator's thread. Thread-safe.
 */
public final class AlertmanagerClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final URI endpoint;
  private final String observatoryUrl;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  /**
   * @param alertmanagerUrl the Alertmanager's base URL ({@code http://host:9093}), or the full
   *     {@code .../api/v2/alerts} URL
   * @param observatoryUrl where the observatory's UI is, for links in the alerts
   */
  public AlertmanagerClient(String alertmanagerUrl, String observatoryUrl) {
    requireNonNull(alertmanagerUrl, "alertmanagerUrl");
    String base = alertmanagerUrl.trim().replaceAll("/+$", "");
    this.endpoint = URI.create(base.endsWith("/api/v2/alerts") ? base : base + "/api/v2/alerts");
    if (endpoint.getScheme() == null
        || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
      throw new IllegalArgumentException(
          "alertmanager-url must be an http(s) URL: " + alertmanagerUrl);
    }
    this.observatoryUrl = requireNonNull(observatoryUrl, "observatoryUrl").replaceAll("/+$", "");
  }

  public URI endpoint() {
    return endpoint;
  }

  /** The JSON body for these alerts; firing ones end at {@code endsAtMillis} unless renewed. */
  byte[] body(List<Alert> alerts, long endsAtMillis) {
    List<Map<String, Object>> list = new ArrayList<>();
    for (Alert alert : alerts) {
      Map<String, Object> labels = new LinkedHashMap<>();
      labels.put("alertname", alert.rule());
      labels.put("service", alert.service());
      labels.put("severity", alert.severity());
      labels.put("source", "uat-observatory");
      Map<String, Object> annotations = new LinkedHashMap<>();
      annotations.put("summary", alert.summary());
      annotations.put("value", Double.toString(alert.value()));
      annotations.put("exemplar_trace_ids", String.join(",", alert.exemplarTraceIds()));
      if (!alert.exemplarTraceIds().isEmpty()) {
        annotations.put(
            "trace_url", observatoryUrl + "/trace/" + alert.exemplarTraceIds().getFirst());
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("labels", labels);
      entry.put("annotations", annotations);
      entry.put("startsAt", Instant.ofEpochMilli(alert.activeSinceMillis()).toString());
      entry.put(
          "endsAt",
          Instant.ofEpochMilli(
                  alert.state() == Alert.State.RESOLVED ? alert.resolvedAtMillis() : endsAtMillis)
              .toString());
      entry.put("generatorURL", observatoryUrl + "/alerts");
      list.add(entry);
    }
    return Json.write(list);
  }

  /**
   * Sends the alerts.
   *
   * @throws IOException when the Alertmanager cannot be reached or answers other than 2xx
   */
  public void send(List<Alert> alerts, long endsAtMillis) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body(alerts, endsAtMillis)))
            .build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (response.statusCode() / 100 != 2) {
      String text = response.body();
      throw new IOException(
          "Alertmanager answered "
              + response.statusCode()
              + ": "
              + (text.length() > 200 ? text.substring(0, 200) : text));
    }
  }

  @Override
  public String toString() {
    return "AlertmanagerClient{" + endpoint + "}";
  }
}
