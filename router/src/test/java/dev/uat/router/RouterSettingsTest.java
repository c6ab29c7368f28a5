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
    assertThat(s.withExposure(trusting).exposure()).isEqualTo(trusting);
  }

  @Test
  void usageDatabaseIsAnH2FileInTheDataDirUnlessAJdbcUrlIsGiven() {
    var d = RouterSettings.defaults();

    assertThat(d.withDataDir(java.nio.file.Path.of("/tmp/x")).effectiveJdbcUrl())
        .startsWith("jdbc:h2:file:/tmp/x/router");
    assertThat(d.withJdbcUrl("jdbc:postgresql://db/uat").effectiveJdbcUrl())
        .isEqualTo("jdbc:postgresql://db/uat");
    assertThat(d.effectiveJdbcUrl()).startsWith("jdbc:h2:mem:");
  }

  @Test
  void invalidSettingsFailEarlyNamingTheSetting() {
    var d = RouterSettings.defaults();
    assertThatThrownBy(() -> d.withProvider("gemini")).hasMessageContaining("provider");
    assertThatThrownBy(() -> d.withPort(70000)).hasMessageContaining("port");
    assertThatThrownBy(() -> d.withRequestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout");
    assertThatThrownBy(() -> d.withOllamaUrl(null)).hasMessageContaining("ollamaUrl");
    assertThatThrownBy(() -> d.withApiUrl("api:9999")).hasMessageContaining("apiUrl");
    assertThatThrownBy(() -> d.withRedisUrl("localhost:6379")).hasMessageContaining("redisUrl");
  }

  @Test
  void openaiProviderWithoutUrlFailsToStartNamingTheSetting() {
    var settings = RouterSettings.defaults().withPort(0).withProvider("openai");

    assertThatThrownBy(() -> Router.start(settings, Telemetry.noop("uat-router"), Http.VERIFIER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("openaiUrl");
  }

  @Test
  void toStringNeverShowsTheKey() {
    var s =
        RouterSettings.defaults()
            .withOpenai("http://127.0.0.1:8080/v1", "sk-secret")
            .withJdbcUrl("jdbc:postgresql://db/uat?user=u&password=pw-secret")
            .withRedisUrl("redis://:redis-secret@cache:6379");

    assertThat(s.toString())
        .doesNotContain("sk-secret", "pw-secret", "redis-secret")
        .contains("****");
  }
}
