package dev.uat.observatory.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.model.TraceId;
import dev.uat.observatory.store.TraceQuery;
import dev.uat.settings.Durations;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Jaeger search parameters, read as the Jaeger query service reads them. */
class SearchParamsTest {
  private static final long NOW_MILLIS = 1_700_000_000_000L;

  private static TraceQuery parse(Map<String, List<String>> params) {
    return SearchParams.parse(params, NOW_MILLIS).query();
  }

  @Test
  void everyParameterIsRead() {
    TraceQuery q =
        parse(
            Map.of(
                "service", List.of("uat-api"),
                "operation", List.of("POST /api/chat"),
                "tag", List.of("http.route:/api/chat", "url.full:http://x:8/y"),
                "tags", List.of("{\"error\":\"true\"}"),
                "minDuration", List.of("1.5ms"),
                "maxDuration", List.of("2s"),
                "start", List.of("1699999000000000"),
                "end", List.of("1700000000000000"),
                "limit", List.of("20")));

    assertThat(q.service()).isEqualTo("uat-api");
    assertThat(q.operation()).isEqualTo("POST /api/chat");
    assertThat(q.tags())
        .containsOnly(
            Map.entry("http.route", "/api/chat"),
            Map.entry("url.full", "http://x:8/y"),
            Map.entry("error", "true"));
    assertThat(q.minDurationNanos()).isEqualTo(1_500_000);
    assertThat(q.maxDurationNanos()).isEqualTo(2_000_000_000L);
    assertThat(q.startMinNanos()).isEqualTo(1_699_999_000_000_000_000L);
    assertThat(q.startMaxNanos()).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(q.limit()).isEqualTo(20);
  }

  @Test
  void startAndEndInMillisecondsAreAcceptedToo() {
    TraceQuery q =
        parse(
            Map.of(
                "service", List.of("s"),
                "start", List.of("1699999000000"),
                "end", List.of("1700000000000")));

    assertThat(q.startMinNanos()).isEqualTo(1_699_999_000_000_000_000L);
    assertThat(q.startMaxNanos()).isEqualTo(1_700_000_000_000_000_000L);
  }

  @Test
  void defaultsAreJaegers() {
    TraceQuery q = parse(Map.of("service", List.of("s")));

    assertThat(q.limit()).isEqualTo(100);
    assertThat(q.startMaxNanos()).isEqualTo(NOW_MILLIS * 1_000_000);
    assertThat(q.startMinNanos()).isEqualTo(NOW_MILLIS * 1_000_000 - 48L * 3600 * 1_000_000_000L);
    assertThat(parse(Map.of("service", List.of("s"), "limit", List.of("0"))).limit())
        .isEqualTo(100);
  }

  @Test
  void lookbackSetsTheStartWhenNoStartIsGiven() {
    TraceQuery q = parse(Map.of("service", List.of("s"), "lookback", List.of("1h")));

    assertThat(q.startMinNanos()).isEqualTo((NOW_MILLIS - 3_600_000) * 1_000_000);
    assertThat(parse(Map.of("service", List.of("s"), "lookback", List.of("custom"))).limit())
        .isEqualTo(100);
  }

  @Test
  void traceIdsMakeTheServiceOptional() {
    SearchParams params =
        SearchParams.parse(
            Map.of("traceID", List.of("abc", "0af7651916cd43dd8448eb211c80319c")), NOW_MILLIS);

    assertThat(params.traceIds())
        .containsExactly(TraceId.parse("abc"), TraceId.parse("0af7651916cd43dd8448eb211c80319c"));
  }

  @Test
  void badParametersGetJaegersMessages() {
    assertThatThrownBy(() -> parse(Map.of())).hasMessage("parameter 'service' is required");
    assertThatThrownBy(() -> parse(Map.of("service", List.of("s"), "tag", List.of("nocolon"))))
        .hasMessageContaining("malformed 'tag' parameter, expecting key:value");
    assertThatThrownBy(() -> parse(Map.of("service", List.of("s"), "tags", List.of("[1]"))))
        .hasMessageContaining("malformed 'tags' parameter");
    assertThatThrownBy(() -> parse(Map.of("service", List.of("s"), "minDuration", List.of("5"))))
        .hasMessageContaining("unable to parse param 'minDuration'");
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        "service",
                        List.of("s"),
                        "minDuration",
                        List.of("2s"),
                        "maxDuration",
                        List.of("1s"))))
        .hasMessage("'maxDuration' should be greater than 'minDuration'");
    assertThatThrownBy(() -> parse(Map.of("service", List.of("s"), "start", List.of("yesterday"))))
        .hasMessageContaining("unable to parse param 'start'");
    assertThatThrownBy(() -> parse(Map.of("service", List.of("s"), "limit", List.of("99999"))))
        .hasMessageContaining("'limit' must be at most");
    assertThatThrownBy(() -> SearchParams.parse(Map.of("traceID", List.of("xyz")), NOW_MILLIS))
        .hasMessageContaining("cannot parse traceID param");
  }

  @Test
  void durationsParseLikeGo() {
    assertThat(Durations.parseNanos("300ms")).isEqualTo(300_000_000L);
    assertThat(Durations.parseNanos("1.5h")).isEqualTo(5_400_000_000_000L);
    assertThat(Durations.parseNanos("2h45m")).isEqualTo(9_900_000_000_000L);
    assertThat(Durations.parseNanos("10us")).isEqualTo(10_000L);
    assertThat(Durations.parseNanos("10µs")).isEqualTo(10_000L);
    assertThat(Durations.parseNanos("7ns")).isEqualTo(7L);
    assertThat(Durations.parseNanos("0")).isZero();
    for (String bad : List.of("", "ms", "5", "5x", "1..2s", "-")) {
      assertThatThrownBy(() -> Durations.parseNanos(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
