package dev.uat.observatory.ingest;

import static dev.uat.observatory.testing.Gzip.gzip;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.uat.observatory.Observatory;
import dev.uat.observatory.TestObservatory;
import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.InstrumentationScope;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Resource;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.Trace;
import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.InMemoryStorage;
import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.observatory.testing.ZipkinJsonEncoder;
import dev.uat.web.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every bound a sender can push against, driven past it through the real HTTP receivers of an
 * observatory in this JVM, sized as in the all-in-one (-Xmx256m: an in-flight budget of 16 MiB):
 * the refusal or cut is counted on {@code /metrics}, the store's accounted bytes stay within its
 * budget, and ordinary exports still work afterwards.
 */
@Timeout(120)
class IngestLimitsTest {
  private static final long IN_FLIGHT = Pipeline.inFlightBudget(256L * 1024 * 1024);
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String JSON = "application/json";

  private final HttpClient client = HttpClient.newHttpClient();
  @RegisterExtension final TestObservatory.PerTest observatories = new TestObservatory.PerTest();
  private TestObservatory fixture;
  private Observatory observatory;

  private void start(long storeBytes) {
    fixture =
        observatories.start(
            TestObservatory.settings(storeBytes).maxInFlightBytes(IN_FLIGHT).build());
    observatory = fixture.observatory();
  }

  private InMemoryStorage.Stats stats() {
    return ((InMemoryStorage) observatory.store()).stats();
  }

  private HttpRequest.Builder otlp(String contentType) {
    return HttpRequest.newBuilder(URI.create(observatory.otlpUrl() + "/v1/traces"))
        .header("Content-Type", contentType);
  }

  private HttpRequest.Builder zipkin() {
    return HttpRequest.newBuilder(URI.create(observatory.zipkinUrl() + "/api/v2/spans"))
        .header("Content-Type", JSON);
  }

  private HttpResponse<String> send(HttpRequest.Builder request, byte[] body) throws Exception {
    return client.send(
        request.POST(BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The sum of a metric's series whose labels contain {@code labels} (0 when absent). */
  private double metric(String name, String labels) {
    return fixture.metric(name, labels);
  }

  private static String errorCode(HttpResponse<String> response) throws IOException {
    return Json.MAPPER.readTree(response.body()).get("error").get("code").asText();
  }

  /** Ordinary exports to both receivers are answered and stored. */
  private void ordinaryExportsStillWork(long seed) throws Exception {
    SyntheticTraces traces = new SyntheticTraces(seed);
    List<Span> viaOtlp = traces.chatTrace(System.currentTimeMillis() * 1_000_000, 0);
    assertThat(send(otlp(PROTOBUF), OtlpProtoEncoder.encode(viaOtlp)).statusCode()).isEqualTo(200);
    assertThat(observatory.store().trace(viaOtlp.getFirst().traceId())).isPresent();
    List<Span> viaZipkin = traces.chatTrace(System.currentTimeMillis() * 1_000_000, 1);
    assertThat(send(zipkin(), ZipkinJsonEncoder.encode(viaZipkin)).statusCode()).isEqualTo(202);
    assertThat(observatory.store().trace(viaZipkin.getFirst().traceId())).isPresent();
  }

  @Test
  void eightGzipBombsToBothReceiversAreRefusedWithinTheInFlightBudget() throws Exception {
    start(64L << 20);
    // the first attack: 65 KB of gzip that inflates to 64 MiB, four to each receiver
    byte[] bomb = gzip(new byte[64 << 20]);
    assertThat(bomb.length).isBetween(60_000, 70_000);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      for (HttpRequest.Builder request : List.of(otlp(PROTOBUF), zipkin())) {
        answers.add(
            client.sendAsync(
                request
                    .header("Content-Encoding", "gzip")
                    .POST(BodyPublishers.ofByteArray(bomb))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
    }

    int tooLarge = 0;
    for (CompletableFuture<HttpResponse<String>> answer : answers) {
      HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isIn(413, 429);
      if (response.statusCode() == 413) {
        assertThat(errorCode(response)).isEqualTo("payload_too_large");
        tooLarge++;
      } else {
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
      }
    }

    assertThat(tooLarge).isPositive();
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"decompressed_too_large\""))
        .isEqualTo(tooLarge);
    assertThat(metric("uat_observatory_ingest_in_flight_peak_bytes", ""))
        .isPositive()
        .isLessThanOrEqualTo(metric("uat_observatory_ingest_in_flight_limit_bytes", ""));
    assertThat(metric("uat_observatory_ingest_in_flight_limit_bytes", "")).isEqualTo(16 << 20);
    assertThat(metric("uat_observatory_ingest_in_flight_bytes", "")).isZero();
    assertThat(stats().spans()).isZero();
    ordinaryExportsStillWork(1);
  }

  @Test
  void uniqueLongServiceAndOperationNamesAreCutAndLeaveWithTheirSpans() throws Exception {
    long budget = 2L << 20;
    start(budget);
    String filler = "x".repeat(64 * 1024);

    // the second attack at full size: 1,500 spans with unique 64 KB service and operation
    // names in 30 requests. Each request inflates to 6.4 MB, above the 4 MiB cap: all refused.
    int refusedBefore = 0;
    for (int request = 0; request < 30; request++) {
      HttpResponse<String> response =
          send(otlp(PROTOBUF), OtlpProtoEncoder.encode(longNamed(request * 50, 50, filler)));
      assertThat(response.statusCode()).isEqualTo(413);
      refusedBefore++;
    }
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"body_too_large\""))
        .isEqualTo(refusedBefore);

    // the same 1,500 spans in requests that fit (10 spans each): stored with their names cut,
    // indexes charged to the store, evicted with the spans
    for (int request = 0; request < 150; request++) {
      List<Span> spans = longNamed(request * 10, 10, filler);
      HttpResponse<String> response =
          request % 2 == 0
              ? send(otlp(PROTOBUF), OtlpProtoEncoder.encode(spans))
              : send(zipkin(), ZipkinJsonEncoder.encode(spans));
      assertThat(response.statusCode()).as(response.body()).isIn(200, 202);
      assertThat(stats().bytes()).isLessThanOrEqualTo(budget);
    }

    assertThat(metric("uat_observatory_ingest_truncated_total", "field=\"service_name\""))
        .isEqualTo(1_500);
    assertThat(metric("uat_observatory_ingest_truncated_total", "field=\"span_name\""))
        .isEqualTo(1_500);
    InMemoryStorage.Stats after = stats();
    assertThat(after.bytes()).isLessThanOrEqualTo(budget);
    assertThat(after.evictedTraces()).as("the store was full").isPositive();
    assertThat(after.services()).as("only services with stored spans").isLessThan(1_500);
    assertThat(metric("uat_observatory_store_bytes", ""))
        .isLessThanOrEqualTo(metric("uat_observatory_store_limit_bytes", ""));
    List<String> services = services();
    assertThat(services).hasSize((int) after.services());
    assertThat(services).allSatisfy(s -> assertThat(s).hasSize(Limits.MAX_SERVICE_NAME));

    // ordinary traffic pushes the attack's spans out, and their names go with them
    for (int i = 0; i < 400; i++) {
      ordinaryExportsStillWork(100 + i);
    }
    assertThat(services()).noneMatch(s -> s.contains(filler.substring(0, 200)));
    assertThat(stats().bytes()).isLessThanOrEqualTo(budget);
  }

  private List<String> services() throws Exception {
    JsonNode data =
        Json.MAPPER
            .readTree(
                client
                    .send(
                        HttpRequest.newBuilder(URI.create(observatory.queryUrl() + "/api/services"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body())
            .get("data");
    List<String> names = new ArrayList<>();
    data.forEach(n -> names.add(n.asText()));
    return names;
  }

  /** {@code count} spans, each of its own service and operation, both names 64 KB and unique. */
  private static List<Span> longNamed(int first, int count, String filler) {
    List<Span> spans = new ArrayList<>();
    long now = System.currentTimeMillis() * 1_000_000;
    for (int i = first; i < first + count; i++) {
      String unique = String.format("%06d", i);
      spans.add(
          Span.builder()
              .traceId(7, i + 1)
              .spanId(i + 1)
              .name(unique + filler.substring(6))
              .kind(SpanKind.SERVER)
              .startEpochNanos(now)
              .endEpochNanos(now + 1_000_000)
              .resource(Resource.of(Attributes.of("service.name", unique + filler.substring(6))))
              .build());
    }
    return spans;
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyKindOfLongStringIsCutToItsCapAndCountedByField() throws Exception {
    start(16L << 20);
    String longKey = "k".repeat(Limits.MAX_KEY + 10);
    String longValue = "v".repeat(Limits.MAX_VALUE + 10);
    Span span =
        Span.builder()
            .traceId(9, 9)
            .spanId(9)
            .name("n".repeat(Limits.MAX_SPAN_NAME + 1))
            .startEpochNanos(1)
            .endEpochNanos(2)
            .attributes(Attributes.of(longKey, longValue, "list", List.of(longValue, "short")))
            .events(
                List.of(
                    new Event(
                        1,
                        "e".repeat(Limits.MAX_EVENT_NAME + 1),
                        Attributes.of("k", longValue),
                        0)))
            .links(List.of(new Link(1, 2, 3, "", Attributes.of(longKey, "v"), 0, 0)))
            .scope(
                new InstrumentationScope(
                    "s".repeat(Limits.MAX_SCOPE_NAME + 1), "1.0", Attributes.empty()))
            .resource(
                Resource.of(
                    Attributes.of(
                        "service.name",
                        "svc".repeat(Limits.MAX_SERVICE_NAME),
                        "host.name",
                        longValue)))
            .build();

    assertThat(send(otlp(PROTOBUF), OtlpProtoEncoder.encode(List.of(span))).statusCode())
        .isEqualTo(200);

    Trace trace = observatory.store().trace(new TraceId(9, 9)).orElseThrow();
    Span stored = trace.spans().getFirst();
    assertThat(stored.name()).hasSize(Limits.MAX_SPAN_NAME);
    assertThat(stored.serviceName()).hasSize(Limits.MAX_SERVICE_NAME);
    assertThat(stored.attributes().key(0)).hasSize(Limits.MAX_KEY);
    assertThat((String) stored.attributes().value(0)).hasSize(Limits.MAX_VALUE);
    assertThat((List<Object>) stored.attributes().value(1))
        .containsExactly("v".repeat(Limits.MAX_VALUE), "short");
    assertThat(stored.events().getFirst().name()).hasSize(Limits.MAX_EVENT_NAME);
    assertThat(stored.links().getFirst().attributes().key(0)).hasSize(Limits.MAX_KEY);
    assertThat(stored.scope().name()).hasSize(Limits.MAX_SCOPE_NAME);
    assertThat(stored.resource().attributes().getString("host.name").orElseThrow())
        .hasSize(Limits.MAX_VALUE);
    String counter = "uat_observatory_ingest_truncated_total";
    assertThat(metric(counter, "field=\"span_name\"")).isEqualTo(1);
    assertThat(metric(counter, "field=\"service_name\"")).isEqualTo(1);
    assertThat(metric(counter, "field=\"event_name\"")).isEqualTo(1);
    assertThat(metric(counter, "field=\"scope_name\"")).isEqualTo(1);
    assertThat(metric(counter, "field=\"attribute_key\"")).isEqualTo(2); // span, link
    assertThat(metric(counter, "field=\"attribute_value\"")).isEqualTo(4); // span x2, event, host
    ordinaryExportsStillWork(3);
  }

  @Test
  void aBodyThatDecodesToMoreThanTheWholeBudgetIs413() throws Exception {
    start(16L << 20);
    // one span with 1.5 million empty events: 3 MB on the wire, about 70 MB once decoded
    ByteArrayOutputStream span = new ByteArrayOutputStream();
    field(span, 1, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    field(span, 2, new byte[] {0, 0, 0, 0, 0, 0, 0, 1});
    for (int i = 0; i < 1_500_000; i++) {
      span.write(11 << 3 | 2);
      span.write(0);
    }
    byte[] body = wrap(1, wrap(2, wrap(2, span.toByteArray())));
    assertThat(body.length).isLessThan((int) Bodies.MAX_BODY_BYTES);

    HttpResponse<String> response = send(otlp(PROTOBUF), body);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(errorCode(response)).isEqualTo("payload_too_large");
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"in_flight_too_large\""))
        .isEqualTo(1);
    assertThat(metric("uat_observatory_ingest_in_flight_peak_bytes", ""))
        .isLessThanOrEqualTo(IN_FLIGHT);
    assertThat(metric("uat_observatory_ingest_in_flight_bytes", "")).isZero();
    ordinaryExportsStillWork(4);
  }

  @Test
  void aChunkedBodyAboveTheLimitAndAnUnknownEncodingAreRefusedAndCounted() throws Exception {
    start(16L << 20);
    byte[] large = new byte[(int) Bodies.MAX_BODY_BYTES + 1];
    HttpResponse<String> chunked =
        client.send(
            otlp(PROTOBUF)
                .POST(BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(large)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(send(otlp(PROTOBUF), large).statusCode()).as("with a length").isEqualTo(413);
    HttpResponse<String> brotli =
        send(zipkin().header("Content-Encoding", "br"), "[]".getBytes(UTF_8));
    assertThat(brotli.statusCode()).isEqualTo(415);
    assertThat(errorCode(brotli)).isEqualTo("unsupported_content_encoding");

    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"body_too_large\""))
        .isEqualTo(2);
    assertThat(metric("uat_observatory_ingest_refused_total", "reason=\"content_encoding\""))
        .isEqualTo(1);
    ordinaryExportsStillWork(5);
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] value) {
    out.write(number << 3 | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static byte[] wrap(int number, byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 8);
    field(out, number, message);
    return out.toByteArray();
  }

  private static void varint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
