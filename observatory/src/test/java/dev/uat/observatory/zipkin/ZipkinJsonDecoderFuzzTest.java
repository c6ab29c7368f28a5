package dev.uat.observatory.zipkin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.uat.observatory.testing.SyntheticTraces;
import dev.uat.observatory.testing.ZipkinJsonEncoder;
import dev.uat.telemetry.Fuzzer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes {@link ZipkinJsonDecoder} in-process ({@link Fuzzer}): mutations of encoded synthetic
 * traces and spans of random shape. The only exception it may throw is {@link
 * ZipkinJsonDecoder.FormatException} (the 400); at most 64 bytes allocated per input byte plus 8
 * MiB; 2 s per input. A short run in the suite; {@code -Dfuzz.inputs=N} for N inputs.
 */
class ZipkinJsonDecoderFuzzTest {
  static byte[] randomSpans(Random r) {
    String[] fields = {
      "traceId",
      "id",
      "parentId",
      "name",
      "kind",
      "timestamp",
      "duration",
      "localEndpoint",
      "remoteEndpoint",
      "annotations",
      "tags",
      "debug",
      "shared"
    };
    StringBuilder b = new StringBuilder("[");
    for (int s = r.nextInt(4); s > 0; s--) {
      b.append('{');
      for (int f = r.nextInt(8); f > 0; f--) {
        b.append(Fuzzer.quote(fields[r.nextInt(fields.length)]))
            .append(':')
            .append(Fuzzer.randomJson(r, 0))
            .append(f > 1 ? "," : "");
      }
      b.append('}').append(s > 1 ? "," : "");
    }
    return b.append(']').toString().getBytes(UTF_8);
  }

  static Fuzzer.Report run() {
    ZipkinJsonDecoder decoder = new ZipkinJsonDecoder();
    SyntheticTraces traces = new SyntheticTraces(5);
    byte[] chat = ZipkinJsonEncoder.encode(traces.chatTrace(1_700_000_000_000_000_000L, 0.5));
    byte[] handWritten =
        """
        [{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","parentId":"0020000000000001",
          "name":"get /api","kind":"SERVER","timestamp":1472470996199000,"duration":207000,
          "localEndpoint":{"serviceName":"frontend","ipv4":"127.0.0.1","port":8080},
          "remoteEndpoint":{"serviceName":"backend","ipv6":"::1","port":9000},
          "annotations":[{"timestamp":1472470996238000,"value":"ws"}],
          "tags":{"http.method":"GET","error":"boom","otel.status_code":"ERROR"}}]
        """
            .getBytes(UTF_8);
    return new Fuzzer(
            "zipkin-json",
            List.of(chat, handWritten, "[]".getBytes(UTF_8)),
            e -> e instanceof ZipkinJsonDecoder.FormatException,
            length -> 64 * length + (8 << 20))
        .generator(ZipkinJsonDecoderFuzzTest::randomSpans)
        .run(decoder::decode);
  }

  /** Finding: a span with its "id" twice threw a NullPointerException (a 500) instead. */
  @Test
  void aSpanWithItsIdTwiceIsDecodedNotAnInternalError() {
    byte[] body =
        """
        [{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","name":"a","id":"a2fb4a1d1a96d313"}]
        """
            .getBytes(UTF_8);

    ZipkinJsonDecoder.Decoded decoded = new ZipkinJsonDecoder().decode(body);

    assertThat(decoded.rejected()).isZero();
    assertThat(decoded.spans()).hasSize(1);
    assertThat(decoded.spans().getFirst().spanIdHex()).isEqualTo("a2fb4a1d1a96d313");
  }

  /**
   * Finding (fuzz, seed 13): a timestamp or duration in microseconds whose nanoseconds do not fit
   * in a long threw an ArithmeticException (a 500); the span is now rejected, the others kept, and
   * an annotation at such a time is dropped.
   */
  @Test
  void timesOutOfRangeRejectTheSpanNotTheRequest() {
    byte[] body =
        """
        [{"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d312","timestamp":9223372036854775807},
         {"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d313","timestamp":1,
          "duration":9223372036854775807},
         {"traceId":"463ac35c9f6413ad","id":"a2fb4a1d1a96d314","timestamp":1472470996199000,
          "annotations":[{"timestamp":-9223372036854775807,"value":"far"},
                         {"timestamp":1472470996238000,"value":"ws"}]}]
        """
            .getBytes(UTF_8);

    ZipkinJsonDecoder.Decoded decoded = new ZipkinJsonDecoder().decode(body);

    assertThat(decoded.rejected()).isEqualTo(2);
    assertThat(decoded.firstRejection()).contains("out of range");
    assertThat(decoded.spans()).hasSize(1);
    assertThat(decoded.spans().getFirst().events()).hasSize(1);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void rejectsOnlyWithItsFormatErrorWithinBounds() {
    assertThat(run().findings()).isEmpty();
  }
}
