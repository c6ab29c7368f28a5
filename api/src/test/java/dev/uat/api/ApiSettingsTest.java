package dev.uat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The settings idiom: defaults, a builder that changes what differs, every value checked. */
class ApiSettingsTest {
  private final ApiSettings defaults =
      ApiSettings.defaults(Path.of("/tmp/uat"), "http://127.0.0.1:8003");

  @Test
  void defaultsAreTheDocumentedConstantsAndAbsentIsNull() {
    assertThat(defaults.host()).isEqualTo(ApiSettings.DEFAULT_HOST);
    assertThat(defaults.port()).isEqualTo(ApiSettings.DEFAULT_PORT);
    assertThat(defaults.bcryptCost()).isEqualTo(ApiSettings.DEFAULT_BCRYPT_COST);
    assertThat(defaults.maxMessageChars()).isEqualTo(32_000);
    assertThat(defaults.historyMessages()).isEqualTo(20);
    assertThat(defaults.routerTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(defaults.limits()).isEqualTo(new ApiSettings.Limits(600, 60, 10, 30));
    assertThat(defaults.jdbcUrl()).isNull();
    assertThat(defaults.jdbcUser()).isNull();
    assertThat(defaults.jdbcPassword()).isNull();
    assertThat(defaults.defaultModel()).isNull();
    assertThat(defaults.effectiveJdbcUrl())
        .startsWith("jdbc:h2:file:/tmp/uat/uat;")
        .contains("WRITE_DELAY=0")
        .contains("PAGE_SIZE=4096");
  }

  @Test
  void builderChangesOnlyWhatItIsTold() {
    ApiSettings changed =
        defaults.toBuilder()
            .port(0)
            .jdbcUrl("jdbc:postgresql://db/uat")
            .jdbcUser("uat")
            .jdbcPassword("pw-secret")
            .limits(defaults.limits().toBuilder().chatsPerMinute(0).build())
            .build();
    assertThat(changed.port()).isZero();
    assertThat(changed.effectiveJdbcUrl()).isEqualTo("jdbc:postgresql://db/uat");
    assertThat(changed.limits().chatsPerMinute()).isZero();
    assertThat(changed.limits().requestsPerMinute()).isEqualTo(600);
    assertThat(changed.toBuilder().build()).isEqualTo(changed);
    assertThat(changed.toBuilder().port(ApiSettings.DEFAULT_PORT).jdbcUrl(null).build())
        .isNotEqualTo(defaults) // user and password stay
        .extracting(ApiSettings::effectiveJdbcUrl)
        .isEqualTo(defaults.effectiveJdbcUrl());
    assertThat(changed.toString()).doesNotContain("pw-secret");
  }

  @Test
  void wrongValuesAreRefusedWithTheSettingsName() {
    assertThatThrownBy(() -> defaults.toBuilder().port(70_000).build())
        .hasMessageContaining("port");
    assertThatThrownBy(() -> defaults.toBuilder().bcryptCost(3).build())
        .hasMessageContaining("bcryptCost");
    assertThatThrownBy(() -> defaults.toBuilder().maxMessageChars(0).build())
        .hasMessageContaining("maxMessageChars");
    assertThatThrownBy(() -> defaults.toBuilder().historyMessages(0).build())
        .hasMessageContaining("historyMessages");
    assertThatThrownBy(() -> defaults.toBuilder().routerTimeout(Duration.ZERO).build())
        .hasMessageContaining("routerTimeout");
    assertThatThrownBy(() -> defaults.toBuilder().routerUrl(null).build())
        .hasMessageContaining("routerUrl");
    assertThatThrownBy(() -> defaults.limits().toBuilder().requestsPerMinute(-1).build())
        .hasMessageContaining("requestsPerMinute");
  }
}
