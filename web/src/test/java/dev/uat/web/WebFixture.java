package dev.uat.web;

import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TestTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test of an HTTP server sets up the same way every time, fresh for each test: the server's
 * own {@link TestTelemetry}, an HTTP client, and the servers the test starts, closed after it
 * (newest first, then the telemetry). In web's test-jar, for every module's tests:
 *
 * <pre>{@code
 * @RegisterExtension final WebFixture web = new WebFixture("uat-edge");
 *
 * @BeforeEach
 * void start() {
 *   edge = Edge.start(settings, web.telemetry());
 *   web.serve(edge, edge.url());
 * }
 *
 * var response = web.send(web.request("/api/ping"));          // body as text
 * assertThat(web.otel().spans()).extracting(SpanData::getName)...
 * }</pre>
 */
public final class WebFixture implements BeforeEachCallback, AfterEachCallback {
  private final String serviceName;
  private final HttpClient http = HttpClient.newHttpClient();
  private TestTelemetry otel;
  private Closer closer;
  private String baseUrl;

  /** {@code serviceName}: the {@code service.name} of the telemetry handed to the server. */
  public WebFixture(String serviceName) {
    this.serviceName = serviceName;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    otel = new TestTelemetry(serviceName);
    closer = new Closer();
    baseUrl = null;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    closer.close();
    otel.close();
  }

  /** The telemetry to start the server with. */
  public Telemetry telemetry() {
    return otel.telemetry();
  }

  /** Its spans and the rest, for assertions. */
  public TestTelemetry otel() {
    return otel;
  }

  /** Closes {@code resource} after the test, before what was registered earlier. */
  public <T extends AutoCloseable> T closeAfter(T resource) {
    return closer.register(resource);
  }

  /**
   * The server under test: closed after the test; {@link #request(String)} paths are relative to
   * {@code baseUrl} (e.g. {@code http://127.0.0.1:port}).
   */
  public <T extends AutoCloseable> T serve(T server, String baseUrl) {
    this.baseUrl = Urls.stripSlash(baseUrl);
    return closeAfter(server);
  }

  /** The server under test, a {@link Service}. */
  public Service serve(Service service) {
    return serve(service, service.url());
  }

  public HttpClient http() {
    return http;
  }

  /** A request to {@code path} on the server under test. */
  public HttpRequest.Builder request(String path) {
    if (baseUrl == null) {
      throw new IllegalStateException("serve(...) a server first");
    }
    return HttpRequest.newBuilder(URI.create(baseUrl + path));
  }

  /** Sends {@code request}; the body as text. */
  public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends {@code request}; the body as bytes. */
  public HttpResponse<byte[]> sendForBytes(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
