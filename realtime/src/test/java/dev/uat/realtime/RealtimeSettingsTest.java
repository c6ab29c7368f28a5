package dev.uat.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RealtimeSettingsTest {
  private static final RealtimeSettings DEFAULTS = RealtimeSettings.defaults("http://api:1");

  @Test
  void defaultsAreTheDocumentedConstantsAndTheBuilderKeepsWhatItDoesNotChange() {
    assertThat(DEFAULTS.host()).isEqualTo(RealtimeSettings.DEFAULT_HOST);
    assertThat(DEFAULTS.port()).isEqualTo(RealtimeSettings.DEFAULT_PORT);
    assertThat(DEFAULTS.maxConnections()).isEqualTo(RealtimeSettings.DEFAULT_MAX_CONNECTIONS);
    assertThat(DEFAULTS.deltaInterval()).isEqualTo(RealtimeSettings.DEFAULT_DELTA_INTERVAL);
    assertThat(DEFAULTS.toBuilder().build()).isEqualTo(DEFAULTS);
    RealtimeSettings changed = DEFAULTS.toBuilder().port(0).host("0.0.0.0").build();
    assertThat(changed.port()).isZero();
    assertThat(changed.host()).isEqualTo("0.0.0.0");
    assertThat(changed.toBuilder().port(DEFAULTS.port()).host(DEFAULTS.host()).build())
        .isEqualTo(DEFAULTS);
  }

  static Stream<Arguments> wrongValues() {
    return Stream.of(
        wrong("port", b -> b.port(70_000)),
        wrong("apiUrl", b -> b.apiUrl(null)),
        wrong("pingInterval", b -> b.pingInterval(Duration.ZERO)),
        wrong("credentialRecheck", b -> b.credentialRecheck(null)),
        wrong("maxQueueBytes", b -> b.maxQueueBytes(10)),
        wrong("historyBytes", b -> b.historyBytes(1024)),
        wrong("maxSubscriptions", b -> b.maxSubscriptions(0)));
  }

  private static Arguments wrong(String setting, UnaryOperator<RealtimeSettingsBuilder> change) {
    return Arguments.of(setting, change);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongValues")
  void aWrongValueFailsNamingTheSetting(
      String setting, UnaryOperator<RealtimeSettingsBuilder> change) {
    assertThatThrownBy(() -> change.apply(DEFAULTS.toBuilder()).build())
        .hasMessageContaining(setting);
  }
}
