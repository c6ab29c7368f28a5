package dev.uat.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TracedHttpClientTest {
  private final TestTelemetry otel = new TestTelemetry("uat-test");
  private final MockWebServer server = new MockWebServer();
  private final Call.Factory http = TracedHttpClient.create(otel.telemetry());

  @BeforeEach
  void start() throws IOException {
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
    otel.close();
  }

  private Request post(String path) {
    return new Request.Builder()
        .url(server.url(path))
        .post(RequestBody.create("{\"q\":1}", MediaType.get("application/json")))
        .build();
  }

  private SpanData clientSpan() {
    List<SpanData> spans =
        otel.spans().stream().filter(s -> s.getKind() == SpanKind.CLIENT).toList();
    assertThat(spans).hasSize(1);
    return spans.getFirst();
  }

  @Test
  void aCallIsAClientSpanThatCarriesTheTraceOn() throws Exception {
    server.enqueue(new MockResponse.Builder().body("{\"a\":2}").build());
    Span parent = otel.telemetry().tracer().spanBuilder("parent").startSpan();
    try (Scope ignored = parent.makeCurrent();
        Response response =
            TracedHttpClient.execute(http.newCall(post("/v1/x?y=1")), Duration.ofSeconds(5))) {
      assertThat(response.body().string()).isEqualTo("{\"a\":2}");
    } finally {
      parent.end();
    }

    SpanData span = clientSpan();
    assertThat(span.getName()).isEqualTo("POST");
    assertThat(span.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(span.getAttributes().get(HttpAttributes.HTTP_REQUEST_METHOD)).isEqualTo("POST");
    assertThat(span.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200);
    assertThat(span.getAttributes().get(ServerAttributes.SERVER_ADDRESS))
        .isEqualTo(server.getHostName());
    assertThat(span.getAttributes().get(ServerAttributes.SERVER_PORT))
        .isEqualTo((long) server.getPort());
    assertThat(span.getAttributes().get(UrlAttributes.URL_FULL))
        .isEqualTo(server.url("/v1/x?y=1").toString());
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    RecordedRequest recorded = server.takeRequest();
    assertThat(recorded.getHeaders().get("traceparent"))
        .as("the traceparent the propagator writes for the client span")
        .isEqualTo(TraceParent.of(Context.root().with(Span.wrap(span.getSpanContext()))).get());
  }

  @Test
  void aServerErrorMarksTheSpanAsAnError() throws Exception {
    server.enqueue(new MockResponse.Builder().code(503).body("down").build());
    try (Response response =
        TracedHttpClient.execute(http.newCall(post("/")), Duration.ofSeconds(5))) {
      assertThat(response.code()).isEqualTo(503);
    }
    SpanData span = clientSpan();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getAttributes().get(HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503);
  }

  @Test
  void aRefusedConnectionIsAConnectExceptionAndAnErrorSpan() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Request request = new Request.Builder().url("http://127.0.0.1:" + port + "/").build();
    assertThatThrownBy(() -> TracedHttpClient.execute(http.newCall(request), Duration.ofSeconds(5)))
        .isInstanceOf(ConnectException.class);
    SpanData span = clientSpan();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).isNotNull();
  }

  @Test
  void noResponseWithinTheDeadlineIsAResponseTimeout() {
    server.enqueue(
        new MockResponse.Builder().headersDelay(10, TimeUnit.SECONDS).body("late").build());
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> TracedHttpClient.execute(http.newCall(post("/")), Duration.ofMillis(300)))
        .isInstanceOf(TracedHttpClient.ResponseTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(clientSpan().getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void aDeadlineWhoseTimerIsStillRunningIsStillATimeout() {
    // the timer's task closes the socket and is then descheduled: the caller sees a plain
    // SocketException while the task has not finished (a loaded machine did this to the router)
    server.enqueue(
        new MockResponse.Builder().headersDelay(10, TimeUnit.SECONDS).body("late").build());
    Call real = http.newCall(post("/"));
    Call lingering =
        (Call)
            java.lang.reflect.Proxy.newProxyInstance(
                Call.class.getClassLoader(),
                new Class<?>[] {Call.class},
                (proxy, method, args) -> {
                  try {
                    return method.invoke(real, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  } finally {
                    if (method.getName().equals("cancel")) {
                      Thread.sleep(500);
                    }
                  }
                });

    assertThatThrownBy(() -> TracedHttpClient.execute(lingering, Duration.ofMillis(300)))
        .isInstanceOf(TracedHttpClient.ResponseTimeoutException.class);
  }

  @Test
  void theDeadlineEndsWithTheResponseHeadersNotTheBody() throws Exception {
    server.enqueue(
        new MockResponse.Builder().body("slow body").bodyDelay(600, TimeUnit.MILLISECONDS).build());
    try (Response response =
        TracedHttpClient.execute(http.newCall(post("/")), Duration.ofMillis(300))) {
      assertThat(response.body().string()).isEqualTo("slow body");
    }
  }

  @Test
  void connectionsAreKeptAliveAndReused() throws Exception {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().body("ok").build());
      try (Response response =
          TracedHttpClient.execute(http.newCall(post("/")), Duration.ofSeconds(5))) {
        response.body().string();
      }
    }
    server.takeRequest();
    server.takeRequest();
    RecordedRequest third = server.takeRequest();
    assertThat(third.getConnectionIndex()).as("one connection").isZero();
    assertThat(third.getExchangeIndex()).as("its third exchange").isEqualTo(2);
  }
}
