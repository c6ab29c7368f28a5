package dev.uat.observatory.otlp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.testing.OtlpProtoEncoder;
import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.telemetry.Fuzzer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the OTLP protobuf and JSON decoders in-process ({@link Fuzzer}): seeded mutations of real
 * requests and structure-aware ones (synthetic traces encoded, random JSON values). The only
 * exception a decoder may throw is {@link OtlpFormatException} (the 400); it allocates at most 64
 * bytes per input byte plus 8 MiB (the heap charge estimates ~20x at worst for tiny fields) and
 * answers each input within 2 s.
 *
 * <p>A short run in the suite (3 s each); {@code -Dfuzz.inputs=N} for N inputs per target
 * (bench/scripts/fuzz.sh).
 */
class OtlpDecoderFuzzTest {
  static final long MIB = 1 << 20;

  static List<byte[]> protoSeeds() {
    SyntheticTraces traces = new SyntheticTraces(7);
    List<byte[]> seeds = new ArrayList<>();
    seeds.add(OtlpProtoEncoder.encode(traces.chatTrace(1_700_000_000_000_000_000L, 0.5)));
    seeds.add(OtlpProtoEncoder.encode(traces.chatTrace(1_700_000_000_000_000_000L, 0)));
    seeds.add(OtlpProtoEncoder.encode(traces.bigTrace(20, 1_700_000_000_000_000_000L)));
    seeds.add(new byte[0]);
    return seeds;
  }

  static final String JSON_SEED =
      """
      {"resourceSpans":[{
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"uat-api"}}]},
        "scopeSpans":[{"scope":{"name":"dev.uat","version":"1.0"},"spans":[
          {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
           "parentSpanId":"eee19b7ec3c1b173","name":"GET /api/me","kind":2,
           "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
           "attributes":[
             {"key":"s","value":{"stringValue":"text"}},
             {"key":"b","value":{"boolValue":true}},
             {"key":"i","value":{"intValue":"-42"}},
             {"key":"d","value":{"doubleValue":0.5}},
             {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":7}]}}},
             {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
             {"key":"bytes","value":{"bytesValue":"AQID"}},
             {"key":"empty","value":{}}],
           "droppedAttributesCount":1,
           "events":[{"timeUnixNano":"1544712660500000000","name":"exception",
                      "attributes":[{"key":"exception.type","value":{"stringValue":"E"}}]}],
           "links":[{"traceId":"00000000000000010000000000000002","spanId":"0000000000000003",
                     "traceState":"a=b","attributes":[],"flags":257}],
           "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
           "traceState":"vendor=x","flags":769},
          {"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b175",
           "kind":"SPAN_KIND_CLIENT","status":{"code":1}}]}]}]}
      """;

  /** A request of random shape: real field names, values of any JSON type. */
  static byte[] randomJsonRequest(Random r) {
    String[] fields = {
      "traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano",
      "attributes", "events", "links", "status", "flags", "traceState", "droppedAttributesCount"
    };
    StringBuilder spans = new StringBuilder();
    for (int s = r.nextInt(4); s > 0; s--) {
      spans.append('{');
      for (int f = r.nextInt(8); f > 0; f--) {
        spans
            .append(Fuzzer.quote(fields[r.nextInt(fields.length)]))
            .append(':')
            .append(Fuzzer.randomJson(r, 0))
            .append(f > 1 ? "," : "");
      }
      spans.append('}').append(s > 1 ? "," : "");
    }
    return ("{\"resourceSpans\":[{\"resource\":"
            + Fuzzer.randomJson(r, 2)
            + ",\"scopeSpans\":[{\"scope\":"
            + Fuzzer.randomJson(r, 2)
            + ",\"spans\":["
            + spans
            + "]}]}]}")
        .getBytes(UTF_8);
  }

  static Fuzzer.Report protobuf() {
    OtlpProtoDecoder decoder = new OtlpProtoDecoder();
    SyntheticTraces traces = new SyntheticTraces(11);
    return new Fuzzer(
            "otlp-protobuf",
            protoSeeds(),
            e -> e instanceof OtlpFormatException,
            length -> 64 * length + 8 * MIB)
        .generator(
            r ->
                OtlpProtoEncoder.encode(
                    r.nextBoolean()
                        ? traces.chatTrace(r.nextLong(), r.nextDouble())
                        : traces.bigTrace(1 + r.nextInt(50), r.nextLong())))
        .run(decoder::decode);
  }

  static Fuzzer.Report json() {
    OtlpJsonDecoder decoder = new OtlpJsonDecoder();
    return new Fuzzer(
            "otlp-json",
            List.of(JSON_SEED.getBytes(UTF_8), "{}".getBytes(UTF_8)),
            e -> e instanceof OtlpFormatException,
            length -> 64 * length + 8 * MIB)
        .generator(OtlpDecoderFuzzTest::randomJsonRequest)
        .run(decoder::decode);
  }

  /**
   * Finding (fuzz, seed 13): bytes that Jackson takes for UTF-32 but are not threw an
   * UncheckedIOException (a 500) instead of the format error.
   */
  @Test
  void aBodyThatLooksLikeUtf32ButIsNotIsAFormatError() {
    byte[] body = {0, 0, 0, '{', 0x7f, (byte) 0xff, 0, 0, 0, 0, 0, '}'};

    assertThatThrownBy(() -> new OtlpJsonDecoder().decode(body))
        .isInstanceOf(OtlpFormatException.class)
        .hasMessageContaining("not UTF-8");
  }

  /**
   * Finding (fuzz, seed 13): a time written as a float with an exponent out of range ({@code
   * 1544712661001e3090000000}) threw Jackson's NumberFormatException (a 500).
   */
  @Test
  void aNumberWithAnExponentOutOfRangeIsAFormatError() {
    byte[] body =
        """
        {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
          "spanId":"eee19b7ec3c1b174","startTimeUnixNano":1544712661001e3090000000}]}]}]}
        """
            .getBytes(UTF_8);

    assertThatThrownBy(() -> new OtlpJsonDecoder().decode(body))
        .isInstanceOf(OtlpFormatException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void protobufDecoderRejectsOnlyWithItsFormatErrorWithinBounds() {
    assertThat(protobuf().findings()).isEmpty();
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void jsonDecoderRejectsOnlyWithItsFormatErrorWithinBounds() {
    assertThat(json().findings()).isEmpty();
  }
}
