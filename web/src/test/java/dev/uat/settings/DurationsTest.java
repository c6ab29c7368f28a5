package dev.uat.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void readsGoDurationsWithDays() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(Durations.parse("-5s")).isEqualTo(Duration.ofSeconds(-5));
    assertThat(Durations.parseNanos("3us")).isEqualTo(3_000);
  }

  @Test
  void refusesWhatIsNotADurationNamingTheProblem() {
    assertThatThrownBy(() -> Durations.parse("30")).hasMessageContaining("missing unit");
    assertThatThrownBy(() -> Durations.parse("5y")).hasMessageContaining("unknown unit 'y'");
    assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("invalid duration");
    assertThatThrownBy(() -> Durations.parse("9".repeat(65) + "s"))
        .hasMessageContaining("invalid duration");
    assertThatThrownBy(() -> Durations.parseNonNegative("-1s")).hasMessageContaining("negative");
  }
}
