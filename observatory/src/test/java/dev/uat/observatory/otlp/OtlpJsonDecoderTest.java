package dev.uat.observatory.otlp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpJsonDecoderTest {
  private final OtlpJsonDecoder decoder = new OtlpJsonDecoder();

  private DecodedSpans decode(String json) {
    return decoder.decode(json.getBytes(UTF_8));
  }

  /** A request with one resource (service uat-api) and one scope holding {@code spans}. */
  private static String request(String... spans) {
    return """
        {"resourceSpans":[{
          "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"uat-api"}}]},
          "scopeSpans":[{"scope":{"name":"dev.uat","version":"1.0"},"spans":[%s]}]
        }]}
        """
        .formatted(String.join(",", spans));
  }

  @Test
  void decodesHexIdsInt64AsStringsOrNumbersAndEnumsAsNumbersOrNames() {
    DecodedSpans decoded =
        decode(
            request(
                """
                {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
                 "parentSpanId":"eee19b7ec3c1b173","name":"GET /api/me","kind":2,
                 "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
                 "attributes":[
                   {"key":"s","value":{"stringValue":"text"}},
                   {"key":"b","value":{"boolValue":true}},
                   {"key":"i","value":{"intValue":"-42"}},
                   {"key":"n","value":{"intValue":9007199254740993}},
                   {"key":"d","value":{"doubleValue":0.5}},
                   {"key":"nan","value":{"doubleValue":"NaN"}},
                   {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":7}]}}},
                   {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
                   {"key":"bytes","value":{"bytesValue":"AQID"}},
                   {"key":"empty","value":{}}
                 ],
                 "droppedAttributesCount":1,
                 "events":[{"timeUnixNano":"1544712660500000000","name":"exception",
                            "attributes":[{"key":"exception.type","value":{"stringValue":"E"}}],
                            "droppedAttributesCount":2}],
                 "droppedEventsCount":"3",
                 "links":[{"traceId":"00000000000000010000000000000002","spanId":"0000000000000003",
                           "traceState":"a=b","attributes":[],"flags":257}],
                 "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
                 "traceState":"vendor=x","flags":769},
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
                 "kind":"SPAN_KIND_CLIENT","status":{"code":1}},
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b176",
                 "kind":"SPAN_KIND_PRODUCER","status":{"code":"STATUS_CODE_OK"}}
                """));

    assertThat(decoded.rejected).isZero();
    Span s = decoded.spans.getFirst();
    assertThat(s.traceIdHex()).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(s.spanIdHex()).isEqualTo("eee19b7ec3c1b174");
    assertThat(s.parentSpanId()).isEqualTo(0xeee19b7ec3c1b173L);
    assertThat(s.name()).isEqualTo("GET /api/me");
    assertThat(s.kind()).isEqualTo(SpanKind.SERVER);
    assertThat(s.startEpochNanos()).isEqualTo(1544712660000000000L);
    assertThat(s.endEpochNanos()).isEqualTo(1544712661000000000L);
    assertThat(s.attributes().asMap())
        .containsExactly(
            entry("s", "text"),
            entry("b", true),
            entry("i", -42L),
            entry("n", 9007199254740993L),
            entry("d", 0.5),
            entry("nan", Double.NaN),
            entry("a", List.of("x", 7L)),
            entry("kv", Attributes.of("k", "v")),
            entry("bytes", Bytes.of(new byte[] {1, 2, 3})),
            entry("empty", ""));
    assertThat(s.droppedAttributesCount()).isEqualTo(1);
    assertThat(s.events())
        .containsExactly(
            new Event(1544712660500000000L, "exception", Attributes.of("exception.type", "E"), 2));
    assertThat(s.droppedEventsCount()).isEqualTo(3);
    assertThat(s.links()).containsExactly(new Link(1, 2, 3, "a=b", Attributes.empty(), 0, 257));
    assertThat(s.statusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(s.statusMessage()).isEqualTo("boom");
    assertThat(s.traceState()).isEqualTo("vendor=x");
    assertThat(s.flags()).isEqualTo(769);
    assertThat(s.serviceName()).isEqualTo("uat-api");
    assertThat(s.scope().name()).isEqualTo("dev.uat");
    assertThat(s.scope().version()).isEqualTo("1.0");

    assertThat(decoded.spans.get(1).kind()).isEqualTo(SpanKind.CLIENT);
    assertThat(decoded.spans.get(1).statusCode()).isEqualTo(StatusCode.OK);
    assertThat(decoded.spans.get(1).isRoot()).isTrue();
    assertThat(decoded.spans.get(2).kind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(decoded.spans.get(2).statusCode()).isEqualTo(StatusCode.OK);
  }

  @Test
  void snakeCaseFieldNamesAreAccepted() {
    DecodedSpans decoded =
        decode(
            """
            {"resource_spans":[{
              "resource":{"attributes":[{"key":"service.name","value":{"string_value":"uat-router"}}]},
              "scope_spans":[{"scope":{"name":"s"},"spans":[
                {"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174",
                 "parent_span_id":"eee19b7ec3c1b173","kind":3,
                 "start_time_unix_nano":"1","end_time_unix_nano":"2",
                 "attributes":[{"key":"n","value":{"int_value":"5"}},
                               {"key":"a","value":{"array_value":{"values":[{"bool_value":false}]}}}],
                 "events":[{"time_unix_nano":"1","name":"e"}],
                 "dropped_links_count":2}
              ]}]
            }]}
            """);

    Span s = decoded.spans.getFirst();
    assertThat(s.serviceName()).isEqualTo("uat-router");
    assertThat(s.parentSpanId()).isEqualTo(0xeee19b7ec3c1b173L);
    assertThat(s.startEpochNanos()).isEqualTo(1);
    assertThat(s.endEpochNanos()).isEqualTo(2);
    assertThat(s.attributes()).isEqualTo(Attributes.of("n", 5L, "a", List.of(false)));
    assertThat(s.events()).extracting(Event::name).containsExactly("e");
    assertThat(s.droppedLinksCount()).isEqualTo(2);
  }

  @Test
  void unknownFieldsAndNullsAreIgnored() {
    DecodedSpans decoded =
        decode(
            """
            {"future":{"x":[1,{"y":2}]},"resourceSpans":[{
              "unknown":[[]],"schemaUrl":"https://opentelemetry.io/schemas/1.24.0",
              "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"uat-api","x":1}}],
                          "droppedAttributesCount":0,"entityRefs":[{"a":"b"}]},
              "scopeSpans":[{"scope":null,"extra":true,"spans":[
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
                 "parentSpanId":"","name":null,"links":null,"events":null,"attributes":null,
                 "status":{},"newField":{"nested":[{"deep":{}}]}}
              ]}]
            }]}
            """);

    assertThat(decoded.rejected).isZero();
    Span s = decoded.spans.getFirst();
    assertThat(s.isRoot()).isTrue();
    assertThat(s.name()).isEmpty();
    assertThat(s.serviceName()).isEqualTo("uat-api");
    assertThat(s.attributes().isEmpty()).isTrue();
  }

  @Test
  void spansWithInvalidIdsAreRejectedWhileTheOthersAreKept() {
    DecodedSpans decoded =
        decode(
            request(
                """
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"good"}""",
                """
                {"traceId":"W46P95gDgQPSabYzgT/GDA==","spanId":"eee19b7ec3c1b174","name":"base64"}""",
                """
                {"traceId":"00000000000000000000000000000000","spanId":"eee19b7ec3c1b174"}""",
                """
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"xyz"}""",
                """
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175",
                 "parentSpanId":"12"}""",
                """
                {"spanId":"eee19b7ec3c1b174"}"""));

    assertThat(decoded.spans).extracting(Span::name).containsExactly("good");
    assertThat(decoded.rejected).isEqualTo(5);
    assertThat(decoded.rejectionMessage())
        .startsWith("5 spans rejected; the first because traceId 'W46P95gDgQPSabYzgT/GDA=='");
  }

  @Test
  void malformedJsonIsRefused() {
    List<String> malformed =
        List.of(
            "",
            "[]",
            "{\"resourceSpans\":",
            "{\"resourceSpans\":[{]}",
            "{\"resourceSpans\":5}",
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":{}}]}]}]}",
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"soon\"}]}]}]}",
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"value\":5}]}]}]}]}",
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":[]}]}]}]}");

    for (String json : malformed) {
      assertThatThrownBy(() -> decode(json)).as(json).isInstanceOf(OtlpFormatException.class);
    }
  }

  @Test
  void repeatedResourcesAreShared() {
    String body =
        request(
            "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\"}");

    Span first = decode(body).spans.getFirst();
    Span second = decode(body).spans.getFirst();

    assertThat(second.resource()).isSameAs(first.resource());
    assertThat(second.scope()).isSameAs(first.scope());
  }
}
