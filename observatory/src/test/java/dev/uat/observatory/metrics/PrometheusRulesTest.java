package dev.uat.observatory.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Prometheus rules over the spanmetrics series, checked and unit-tested with {@code
 * promtool} (Debian's prometheus package; skipped loudly when not installed).
 */
@Timeout(60)
class PrometheusRulesTest {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  @TempDir Path dir;

  private String run(String... args) throws Exception {
    Process process =
        new ProcessBuilder(args).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  @Test
  void shippedRulesPassPromtoolsUnitTests() throws Exception {
    boolean installed = Files.isExecutable(PROMTOOL);
    if (!installed) {
      System.err.println(
          "SKIPPED: Prometheus rules test needs " + PROMTOOL + " (apt-get install prometheus)");
    }
    assumeTrue(installed, "promtool is not installed");
    try (InputStream rules =
            PrometheusRulesTest.class.getResourceAsStream(
                "/dev/uat/observatory/prometheus/spanmetrics-alerts.yml");
        InputStream tests =
            PrometheusRulesTest.class.getResourceAsStream(
                "/prometheus/spanmetrics-alerts-test.yml")) {
      Files.write(dir.resolve("spanmetrics-alerts.yml"), rules.readAllBytes());
      Files.write(dir.resolve("spanmetrics-alerts-test.yml"), tests.readAllBytes());
    }

    assertThat(run(PROMTOOL.toString(), "check", "rules", "spanmetrics-alerts.yml"))
        .contains("SUCCESS: 3 rules found");
    assertThat(run(PROMTOOL.toString(), "test", "rules", "spanmetrics-alerts-test.yml"))
        .contains("SUCCESS");
    assertThat(List.of("HighLatencyP95", "HighErrorRatio", "ServiceSilent"))
        .allSatisfy(
            name ->
                assertThat(Files.readString(dir.resolve("spanmetrics-alerts.yml")))
                    .contains("alert: " + name));
  }
}
