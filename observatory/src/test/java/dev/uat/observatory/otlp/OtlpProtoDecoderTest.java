package dev.uat.observatory.otlp;

import static dev.uat.observatory.otlp.ProtoWriter.attribute;
import static dev.uat.observatory.otlp.ProtoWriter.id;
import static dev.uat.observatory.otlp.ProtoWriter.message;
import static dev.uat.observatory.otlp.ProtoWriter.request;
import static dev.uat.observatory.otlp.ProtoWriter.span;
import static dev.uat.observatory.otlp.ProtoWriter.stringAttribute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.entry;

import dev.uat.observatory.model.Attributes;
import dev.uat.observatory.model.Bytes;
import dev.uat.observatory.model.Event;
import dev.uat.observatory.model.Link;
import dev.uat.observatory.model.Span;
import dev.uat.observatory.model.SpanKind;
import dev.uat.observatory.model.StatusCode;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OtlpProtoDecoderTest {
  private static final byte[] TRACE = id(0x0102030405060708L, 0x090a0b0c0d0e0f10L);
  private static final byte[] SPAN = id(0x1112131415161718L);
  private static final byte[] PARENT = id(0x2122232425262728L);

  private final OtlpProtoDecoder decoder = new OtlpProtoDecoder();

  @Test
  void decodesEveryFieldOfASpan() {
    ProtoWriter span =
        message()
            .bytes(1, TRACE)
            .bytes(2, SPAN)
            .string(3, "vendor=x")
            .bytes(4, PARENT)
            .string(5, "chat llama3")
            .varint(6, 3)
            .fixed64(7, 1_700_000_000_123_456_789L)
            .fixed64(8, 1_700_000_001_123_456_789L)
            .message(9, stringAttribute("s", "text"))
            .message(9, attribute("b", message().varint(2, 1)))
            .message(9, attribute("i", message().varint(3, -42)))
            .message(9, attribute("d", message().fixed64(4, Double.doubleToLongBits(0.25))))
            .message(
                9,
                attribute(
                    "a",
                    message()
                        .message(
                            5,
                            message()
                                .message(1, message().string(1, "x"))
                                .message(1, message().varint(3, 7)))))
            .message(
                9,
                attribute(
                    "kv", message().message(6, message().message(1, stringAttribute("k", "v")))))
            .message(9, attribute("bytes", message().bytes(7, new byte[] {1, 2, 3})))
            .varint(10, 1)
            .message(
                11,
                message()
                    .fixed64(1, 1_700_000_000_500_000_000L)
                    .string(2, "exception")
                    .message(3, stringAttribute("exception.type", "java.io.IOException"))
                    .varint(4, 2))
            .varint(12, 3)
            .message(
                13,
                message()
                    .bytes(1, id(5, 6))
                    .bytes(2, id(7))
                    .string(3, "a=b")
                    .message(4, stringAttribute("why", "retry"))
                    .varint(5, 1)
                    .fixed32(6, 0x101))
            .varint(14, 4)
            .message(15, message().string(2, "provider timed out").varint(3, 2))
            .fixed32(16, 0x301);
    byte[] body =
        message()
            .message(
                1,
                message()
                    .message(
                        1,
                        message()
                            .message(1, stringAttribute("service.name", "uat-router"))
                            .message(1, stringAttribute("host.name", "box")))
                    .message(
                        2,
                        message()
                            .message(
                                1,
                                message()
                                    .string(1, "dev.uat")
                                    .string(2, "1.0")
                                    .message(3, stringAttribute("scope.attr", "y")))
                            .message(2, span)))
            .toByteArray();

    DecodedSpans decoded = decoder.decode(body);

    assertThat(decoded.rejected).isZero();
    Span s = decoded.spans.getFirst();
    assertThat(s.traceIdHex()).isEqualTo("0102030405060708090a0b0c0d0e0f10");
    assertThat(s.spanIdHex()).isEqualTo("1112131415161718");
    assertThat(s.parentSpanId()).isEqualTo(0x2122232425262728L);
    assertThat(s.traceState()).isEqualTo("vendor=x");
    assertThat(s.name()).isEqualTo("chat llama3");
    assertThat(s.kind()).isEqualTo(SpanKind.CLIENT);
    assertThat(s.startEpochNanos()).isEqualTo(1_700_000_000_123_456_789L);
    assertThat(s.endEpochNanos()).isEqualTo(1_700_000_001_123_456_789L);
    assertThat(s.attributes().asMap())
        .containsExactly(
            entry("s", "text"),
            entry("b", true),
            entry("i", -42L),
            entry("d", 0.25),
            entry("a", List.of("x", 7L)),
            entry("kv", Attributes.of("k", "v")),
            entry("bytes", Bytes.of(new byte[] {1, 2, 3})));
    assertThat(s.events())
        .containsExactly(
            new Event(
                1_700_000_000_500_000_000L,
                "exception",
                Attributes.of("exception.type", "java.io.IOException"),
                2));
    assertThat(s.links())
        .containsExactly(new Link(5, 6, 7, "a=b", Attributes.of("why", "retry"), 1, 0x101));
    assertThat(s.statusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(s.statusMessage()).isEqualTo("provider timed out");
    assertThat(s.flags()).isEqualTo(0x301);
    assertThat(s.droppedAttributesCount()).isEqualTo(1);
    assertThat(s.droppedEventsCount()).isEqualTo(3);
    assertThat(s.droppedLinksCount()).isEqualTo(4);
    assertThat(s.serviceName()).isEqualTo("uat-router");
    assertThat(s.resource().attributes().asMap())
        .containsExactly(entry("service.name", "uat-router"), entry("host.name", "box"));
    assertThat(s.scope().name()).isEqualTo("dev.uat");
    assertThat(s.scope().version()).isEqualTo("1.0");
    assertThat(s.scope().attributes()).isEqualTo(Attributes.of("scope.attr", "y"));
  }

  @Test
  void unknownFieldsOfEveryWireTypeAreSkippedAtEveryLevel() {
    byte[] expected = request("uat-api", span(TRACE, SPAN, "op"));
    ProtoWriter span = withUnknownFields(span(TRACE, SPAN, "op"));
    ProtoWriter scopeSpans =
        withUnknownFields(message().message(1, withUnknownFields(message().string(1, "scope"))))
            .message(2, span);
    ProtoWriter resource =
        withUnknownFields(message())
            .message(
                1,
                withUnknownFields(message().string(1, "service.name"))
                    .message(2, withUnknownFields(message().string(1, "uat-api"))));
    byte[] body =
        withUnknownFields(
                message()
                    .message(
                        1,
                        withUnknownFields(message().message(1, resource)).message(2, scopeSpans)))
            .toByteArray();

    assertThat(decoder.decode(body).spans).isEqualTo(decoder.decode(expected).spans);
  }

  /** Adds fields numbered 100+ of every wire type, a nested group included. */
  private static ProtoWriter withUnknownFields(ProtoWriter message) {
    return message
        .varint(100, 300)
        .fixed64(101, -1)
        .string(102, "ignored")
        .fixed32(103, 7)
        .tag(104, ProtoReader.WIRETYPE_START_GROUP)
        .varint(1, 1)
        .tag(105, ProtoReader.WIRETYPE_START_GROUP)
        .string(2, "inner")
        .tag(105, ProtoReader.WIRETYPE_END_GROUP)
        .tag(104, ProtoReader.WIRETYPE_END_GROUP)
        // a known field number with an unexpected wire type is skipped too
        .fixed32(5, 9);
  }

  @Test
  void resourceAndScopeMayFollowTheirSpans() {
    ProtoWriter scopeSpans =
        message().message(2, span(TRACE, SPAN, "op")).message(1, message().string(1, "late"));
    ProtoWriter resourceSpans =
        message()
            .message(2, scopeSpans)
            .message(1, message().message(1, stringAttribute("service.name", "uat-edge")));
    byte[] body = message().message(1, resourceSpans).toByteArray();

    Span span = decoder.decode(body).spans.getFirst();

    assertThat(span.serviceName()).isEqualTo("uat-edge");
    assertThat(span.scope().name()).isEqualTo("late");
  }

  @Test
  void spansWithInvalidIdsAreRejectedWhileTheOthersAreKept() {
    byte[] body =
        request(
            "uat-api",
            span(TRACE, SPAN, "good"),
            span(new byte[] {1, 2, 3}, SPAN, "short trace id"),
            span(new byte[16], SPAN, "zero trace id"),
            span(TRACE, new byte[4], "short span id"),
            span(TRACE, new byte[8], "zero span id"),
            span(TRACE, SPAN, "bad parent").bytes(4, new byte[5]),
            message().bytes(2, SPAN).string(5, "no trace id"),
            span(TRACE, id(2), "empty parent is a root").bytes(4, new byte[0]));

    DecodedSpans decoded = decoder.decode(body);

    assertThat(decoded.spans)
        .extracting(Span::name)
        .containsExactly("good", "empty parent is a root");
    assertThat(decoded.rejected).isEqualTo(6);
    assertThat(decoded.rejectionMessage())
        .isEqualTo("6 spans rejected; the first because trace_id has 3 bytes instead of 16");
  }

  @Test
  void linksWithInvalidIdsAreDroppedAndCounted() {
    ProtoWriter span =
        span(TRACE, SPAN, "op")
            .message(13, message().bytes(1, new byte[3]).bytes(2, id(1)))
            .message(13, message().bytes(1, id(1, 2)).bytes(2, id(3)))
            .varint(14, 2);

    Span decoded = decoder.decode(request("uat-api", span)).spans.getFirst();

    assertThat(decoded.links()).hasSize(1);
    assertThat(decoded.droppedLinksCount()).isEqualTo(3);
  }

  @Test
  void anEmptyBodyIsARequestWithoutSpans() {
    DecodedSpans decoded = decoder.decode(new byte[0]);

    assertThat(decoded.spans).isEmpty();
    assertThat(decoded.rejected).isZero();
  }

  @Test
  void repeatedResourcesScopesAndNamesAreShared() {
    byte[] body = request("uat-api", span(TRACE, SPAN, "op"));

    Span first = decoder.decode(body).spans.getFirst();
    Span second = decoder.decode(body).spans.getFirst();

    assertThat(second.resource()).isSameAs(first.resource());
    assertThat(second.scope()).isSameAs(first.scope());
    assertThat(second.name()).isSameAs(first.name());
  }

  @Test
  void malformedMessagesAreRefused() {
    List<byte[]> malformed =
        List.of(
            new byte[] {0x0A, 0x05, 0x01}, // length past the end
            new byte[] {0x0A}, // tag without value
            new byte[] {0x08}, // varint missing
            new byte[] {(byte) 0x80}, // truncated tag
            new byte[] {0x00, 0x01}, // field number 0
            new byte[] {0x0E, 0x01}, // wire type 6
            new byte[] {0x0F, 0x01}, // wire type 7
            new byte[] {0x0C}, // end group without start
            new byte[] {0x0B, 0x08, 0x01}, // group never closed
            new byte[] {0x0B, 0x14}, // group closed by another field's end
            message().rawVarint(9 << 3 | 1).raw(1, 2, 3).toByteArray(), // truncated fixed64
            new byte[] { // varint of 11 bytes
              0x08, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x01
            },
            message().message(1, message().raw(0x12, 0x7F)).toByteArray()); // nested overrun

    for (byte[] body : malformed) {
      assertThatThrownBy(() -> decoder.decode(body))
          .as(HexFormat.of().formatHex(body))
          .isInstanceOf(OtlpFormatException.class);
    }
  }

  @Test
  void deeplyNestedValuesAreRefusedNotOverflowed() {
    ProtoWriter value = message().string(1, "leaf");
    for (int i = 0; i < 200; i++) {
      value = message().message(5, message().message(1, value));
    }
    byte[] body = request("uat-api", span(TRACE, SPAN, "op").message(9, attribute("deep", value)));

    assertThatThrownBy(() -> decoder.decode(body)).isInstanceOf(OtlpFormatException.class);
  }

  @Test
  void corruptedBodiesFailOnlyAsMalformed() {
    byte[] valid =
        request(
            "uat-api",
            span(TRACE, SPAN, "op")
                .message(9, stringAttribute("k", "v"))
                .message(11, message().string(2, "event"))
                .message(15, message().varint(3, 2)));
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] corrupted = valid.clone();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        corrupted[random.nextInt(corrupted.length)] = (byte) random.nextInt(256);
      }
      byte[] body =
          random.nextBoolean()
              ? Arrays.copyOf(corrupted, random.nextInt(corrupted.length))
              : corrupted;
      Throwable thrown = catchThrowable(() -> decoder.decode(body));
      if (thrown != null) {
        assertThat(thrown).as("attempt %d", i).isInstanceOf(OtlpFormatException.class);
      }
    }
  }
}
