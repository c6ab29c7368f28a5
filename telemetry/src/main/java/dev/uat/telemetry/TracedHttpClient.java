package dev.uat.telemetry;

import io.opentelemetry.instrumentation.javahttpclient.JavaHttpClientTelemetry;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The JDK {@link HttpClient} wrapped by the OpenTelemetry instrumentation library: a CLIENT span
 * per request, {@code traceparent} and {@code baggage} injected into the request headers.
 */
public final class TracedHttpClient {
  /** Connect timeout of every client made here; components add request timeouts. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private TracedHttpClient() {}

  /** An HTTP/1.1 client (no h2c upgrade dance on plain HTTP) whose calls are traced. */
  public static HttpClient create(Telemetry telemetry) {
    HttpClient plain =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    return JavaHttpClientTelemetry.create(telemetry.openTelemetry()).newHttpClient(plain);
  }
}
