package dev.uat.observatory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.SyntheticTraces;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** RED metrics on /metrics under the OpenTelemetry spanmetrics names. */
@Timeout(60)
class SpanMetricsTest {
  private final HttpClient client = HttpClient.newHttpClient();
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  @BeforeEach
  void start() {
    fixture = observatories.start(8 << 20);
    observatory = fixture.observatory();
    SyntheticTraces traces = new SyntheticTraces(9);
    List<Span> spans = new ArrayList<>();
    long now = System.currentTimeMillis() * 1_000_000;
    for (int i = 0; i < 20; i++) {
      spans.addAll(traces.chatTrace(now - i * 1_000_000L, i < 4 ? 1 : 0));
    }
    fixture.ingest(spans);
  }

  private String metrics(String accept) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/metrics"));
    if (accept != null) {
      request.header("Accept", accept);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void callsAndDurationsAreExportedWithTheSpanmetricsNamesAndLabels() throws Exception {
    String text = metrics(null);

    assertThat(text)
        .contains(
            "traces_span_metrics_calls_total{service_name=\"uat-api\",span_kind=\"SPAN_KIND_SERVER\","
                + "span_name=\"POST /api/chat\",status_code=\"STATUS_CODE_ERROR\"} 4.0")
        .contains(
            "traces_span_metrics_calls_total{service_name=\"uat-api\",span_kind=\"SPAN_KIND_SERVER\","
                + "span_name=\"POST /api/chat\",status_code=\"STATUS_CODE_UNSET\"} 16.0")
        .contains(
            "traces_span_metrics_calls_total{service_name=\"uat-api\",span_kind=\"SPAN_KIND_CLIENT\","
                + "span_name=\"SELECT uat.conversations\",status_code=\"STATUS_CODE_UNSET\"} 20.0");
    // the connector's default buckets, in milliseconds
    for (String le :
        List.of(
            "2.0", "4.0", "6.0", "8.0", "10.0", "50.0", "100.0", "200.0", "400.0", "800.0",
            "1000.0", "1400.0", "2000.0", "5000.0", "10000.0", "15000.0", "+Inf")) {
      assertThat(text)
          .contains(
              "traces_span_metrics_duration_milliseconds_bucket{service_name=\"uat-api\","
                  + "span_kind=\"SPAN_KIND_CLIENT\",span_name=\"SELECT uat.conversations\","
                  + "status_code=\"STATUS_CODE_UNSET\",le=\""
                  + le
                  + "\"} ");
    }
    assertThat(text)
        .contains(
            "traces_span_metrics_duration_milliseconds_bucket{service_name=\"uat-api\","
                + "span_kind=\"SPAN_KIND_CLIENT\",span_name=\"SELECT uat.conversations\","
                + "status_code=\"STATUS_CODE_UNSET\",le=\"2.0\"} 20")
        .contains(
            "traces_span_metrics_duration_milliseconds_count{service_name=\"uat-api\","
                + "span_kind=\"SPAN_KIND_CLIENT\",span_name=\"SELECT uat.conversations\","
                + "status_code=\"STATUS_CODE_UNSET\"} 20");
  }

  @Test
  void openMetricsCarriesTraceIdsOfIngestedSpansAsExemplars() throws Exception {
    String text = metrics("application/openmetrics-text; version=1.0.0");

    assertThat(text)
        .containsPattern(
            "traces_span_metrics_duration_milliseconds_bucket\\{service_name=\"uat-api\",span_kind=\"SPAN_KIND_SERVER\","
                + "span_name=\"POST /api/chat\",status_code=\"STATUS_CODE_ERROR\",le=\"[^\"]+\"} \\d+ # \\{span_id=\"[0-9a-f]{16}\",trace_id=\"[0-9a-f]{32}\"}");
  }
}
