package dev.uat.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.telemetry.Telemetry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RouterSettingsTest {
  @Test
  void defaultsAreLoopbackAutoAndOllamaOnItsPort() {
    RouterSettings s = RouterSettings.defaults();

    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8003);
    assertThat(s.provider()).isEqualTo("auto");
    assertThat(s.ollamaUrl()).isEqualTo("http://127.0.0.1:11434");
    assertThat(s.openaiUrl()).isNull();
    assertThat(s.openaiKey()).isNull();
    assertThat(s.defaultModel()).isNull();
    assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(s.apiUrl()).isNull();
    assertThat(s.dataDir()).isNull();
    assertThat(s.jdbcUrl()).isNull();
    assertThat(s.redisUrl()).isNull();
    assertThat(s.configFile()).isNull();
    assertThat(s.exposure()).isEqualTo(dev.uat.web.Exposure.LOOPBACK);
    var trusting = dev.uat.web.Exposure.of("10.0.0.0/8", "127.0.0.0/8");
    assertThat(s.toBuilder().exposure(trusting).build().exposure()).isEqualTo(trusting);
  }

  @Test
  void theBuilderChangesOnlyWhatItIsToldAndBlankMeansAbsent() {
    RouterSettings d = RouterSettings.defaults();

    assertThat(d.toBuilder().build()).isEqualTo(d);
    RouterSettings s = d.toBuilder().port(0).apiUrl(" ").redisUrl("").build();
    assertThat(s.port()).isZero();
    assertThat(s.apiUrl()).isNull();
    assertThat(s.redisUrl()).isNull();
    assertThat(s.toBuilder().port(8003).build()).isEqualTo(d);
  }

  @Test
  void usageDatabaseIsAnH2FileInTheDataDirUnlessAJdbcUrlIsGiven() {
    var d = RouterSettings.defaults();

    assertThat(d.toBuilder().dataDir(java.nio.file.Path.of("/tmp/x")).build().effectiveJdbcUrl())
        .startsWith("jdbc:h2:file:/tmp/x/router");
    assertThat(d.toBuilder().jdbcUrl("jdbc:postgresql://db/uat").build().effectiveJdbcUrl())
        .isEqualTo("jdbc:postgresql://db/uat");
    assertThat(d.effectiveJdbcUrl()).startsWith("jdbc:h2:mem:");
  }

  @Test
  void invalidSettingsFailEarlyNamingTheSetting() {
    var d = RouterSettings.defaults();
    assertThatThrownBy(() -> d.toBuilder().provider("gemini").build())
        .hasMessageContaining("provider");
    assertThatThrownBy(() -> d.toBuilder().port(70000).build()).hasMessageContaining("port");
    assertThatThrownBy(() -> d.toBuilder().requestTimeout(Duration.ZERO).build())
        .hasMessageContaining("requestTimeout");
    assertThatThrownBy(() -> d.toBuilder().ollamaUrl(null).build())
        .hasMessageContaining("ollamaUrl");
    assertThatThrownBy(() -> d.toBuilder().apiUrl("api:9999").build())
        .hasMessageContaining("apiUrl");
    assertThatThrownBy(() -> d.toBuilder().redisUrl("localhost:6379").build())
        .hasMessageContaining("redisUrl");
  }

  @Test
  void openaiProviderWithoutUrlFailsToStartNamingTheSetting() {
    var settings = RouterSettings.defaults().toBuilder().port(0).provider("openai").build();

    assertThatThrownBy(() -> Router.start(settings, Telemetry.noop("uat-router"), Http.VERIFIER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("openaiUrl");
  }

  @Test
  void toStringNeverShowsTheKey() {
    var s =
        RouterSettings.defaults().toBuilder()
            .openaiUrl("http://127.0.0.1:8080/v1")
            .openaiKey("sk-secret")
            .jdbcUrl("jdbc:postgresql://db/uat?user=u&password=pw-secret")
            .redisUrl("redis://:redis-secret@cache:6379")
            .build();

    assertThat(s.toString())
        .doesNotContain("sk-secret", "pw-secret", "redis-secret")
        .contains("****");
  }
}
