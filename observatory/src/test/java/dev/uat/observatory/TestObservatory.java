package dev.uat.observatory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.uat.observatory.model.Span;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.telemetry.TestTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one way tests start an observatory: on free loopback ports, with its own {@link
 * TestTelemetry}, and the HTTP calls tests make to it. Close it after each test.
 */
public final class TestObservatory implements AutoCloseable {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final TestTelemetry own;
  private final Observatory observatory;

  private TestObservatory(TestTelemetry own, Observatory observatory) {
    this.own = own;
    this.observatory = observatory;
  }

  /** Loopback, every port free ({@code 0}), {@code maxStoreBytes} of spans. */
  public static ObservatorySettingsBuilder settings(long maxStoreBytes) {
    return ObservatorySettings.defaults().toBuilder()
        .otlpPort(0)
        .otlpGrpcPort(0)
        .queryPort(0)
        .zipkinPort(0)
        .maxStoreBytes(maxStoreBytes);
  }

  /** An observatory with {@link #settings(long)}. */
  public static TestObservatory start(long maxStoreBytes) {
    return start(settings(maxStoreBytes).build());
  }

  public static TestObservatory start(ObservatorySettings settings) {
    return start(settings, Clock.systemUTC());
  }

  public static TestObservatory start(ObservatorySettings settings, Clock clock) {
    TestTelemetry own = new TestTelemetry("uat-observatory");
    try {
      return new TestObservatory(own, Observatory.start(settings, own.telemetry(), clock));
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  public Observatory observatory() {
    return observatory;
  }

  /** The observatory's own telemetry (its metrics). */
  public TestTelemetry own() {
    return own;
  }

  /** Posts {@code spans} as OTLP protobuf to {@code /v1/traces}. */
  public HttpResponse<String> postOtlp(List<Span> spans) {
    return post(
        observatory.otlpUrl() + "/v1/traces",
        "application/x-protobuf",
        OtlpProtoEncoder.encode(spans));
  }

  /**
   * Posts {@code spans} as OTLP protobuf, expects 200, and waits until the RED and GenAI metrics
   * have counted them.
   */
  public void ingest(List<Span> spans) {
    HttpResponse<String> response = postOtlp(spans);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    awaitDerived();
  }

  /** Waits until every span received is counted in the RED and GenAI metrics. */
  public void awaitDerived() {
    await().atMost(Duration.ofSeconds(10)).until(() -> observatory.pendingDerivedSpans() == 0);
  }

  public HttpResponse<String> post(String url, String contentType, byte[] body) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  /** A GET of {@code path} on the query port. */
  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create(observatory.queryUrl() + path)).build());
  }

  /** The sum of a metric's series on the query port whose labels contain {@code labels}. */
  public double metric(String name, String labels) {
    String text = get("/metrics").body();
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)").matcher(text);
    double sum = 0;
    while (m.find()) {
      if (m.group(1) == null ? labels.isEmpty() : m.group(1).contains(labels)) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try {
      return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      observatory.close();
    } finally {
      own.close();
    }
  }

  /**
   * Starts observatories for one test and closes them after it, whether it passed or not:
   * {@code @RegisterExtension final TestObservatory.PerTest observatories = new
   * TestObservatory.PerTest();}, then {@code observatories.start(...)} in the test or its set-up.
   */
  public static final class PerTest implements AfterEachCallback {
    private final List<TestObservatory> started = new ArrayList<>();

    public TestObservatory start(long maxStoreBytes) {
      return track(TestObservatory.start(maxStoreBytes));
    }

    public TestObservatory start(ObservatorySettings settings) {
      return track(TestObservatory.start(settings));
    }

    private TestObservatory track(TestObservatory observatory) {
      started.add(observatory);
      return observatory;
    }

    @Override
    public void afterEach(ExtensionContext context) {
      try {
        started.forEach(TestObservatory::close);
      } finally {
        started.clear();
      }
    }
  }
}
