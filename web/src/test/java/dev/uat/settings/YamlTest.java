package dev.uat.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class YamlTest {
  record Retry(int maxAttempts, Duration initialBackoff) {}

  record Rules(String name, Duration evaluationInterval, List<Retry> retries) {
    Rules {
      evaluationInterval = evaluationInterval == null ? Duration.ofSeconds(15) : evaluationInterval;
      retries = retries == null ? List.of() : List.copyOf(retries);
    }
  }

  @Test
  void bindsSnakeCaseKeysIntoRecordsWithDefaultsFromTheConstructor() {
    Rules r =
        Yaml.readSnakeCase(
            "name: x\nretries:\n  - max_attempts: 3\n    initial_backoff: 250ms\n",
            "rules.yaml",
            Rules.class);
    assertThat(r.name()).isEqualTo("x");
    assertThat(r.evaluationInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(r.retries()).containsExactly(new Retry(3, Duration.ofMillis(250)));
  }

  @Test
  void refusesUnknownKeysNamingFileAndPath() {
    assertThatThrownBy(
            () ->
                Yaml.readSnakeCase(
                    "name: x\nretries:\n  - max_attempts: 3\n    initial_backof: 1s\n",
                    "rules.yaml",
                    Rules.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rules.yaml")
        .hasMessageContaining("unknown key 'initial_backof'")
        .hasMessageContaining("initial_backoff");
  }

  @Test
  void badDurationNamesTheKey() {
    assertThatThrownBy(
            () -> Yaml.readSnakeCase("evaluation_interval: soon\n", "rules.yaml", Rules.class))
        .hasMessageContaining("rules.yaml")
        .hasMessageContaining("evaluation_interval")
        .hasMessageContaining("invalid duration 'soon'");
  }

  @Test
  void kebabCaseForUatYaml() {
    record Ports(int apiPort) {}
    assertThat(Yaml.readKebabCase("api-port: 8081\n", "uat.yaml", Ports.class).apiPort())
        .isEqualTo(8081);
  }
}
