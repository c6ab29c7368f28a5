package dev.uat.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for what the in-process fuzzer ({@code router} {@code RouterInputFuzzTest})
 * found in {@link Yaml}: a settings file within {@link Yaml#MAX_BYTES} must not make the reader
 * allocate far more than its size.
 */
class YamlFuzzFindingsTest {
  record Settings(String name, String url) {}

  private static long allocatedReading(String yaml) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    catchThrowable(() -> Yaml.readSnakeCase(yaml, "x.yaml", Settings.class));
    return threads.getCurrentThreadAllocatedBytes() - before;
  }

  /**
   * Finding (fuzz, seed 13): deploy/router.yaml with a run of 221,849 'a's inside a plain scalar
   * (222,152 bytes in all) allocated 98 MB (~440 bytes per input byte) before being refused.
   */
  @Test
  void aLongPlainScalarCostsAllocationInProportionToItsLength() {
    for (int i = 0; i < 3; i++) {
      allocatedReading("name: x\nurl: http://host" + "a".repeat(1000) + "\n"); // warm up
    }
    int longest = Yaml.MAX_LINE_CHARS - "url: http://host".length();
    long withinCap = allocatedReading("name: x\nurl: http://host" + "a".repeat(longest) + "\n");
    long large = allocatedReading("name: x\nurl: http://host" + "a".repeat(200_000) + "\n");
    System.out.printf(
        "yaml plain scalar: %,d chars %d B, 200,000 chars %d B%n", longest, withinCap, large);

    assertThat(withinCap).isLessThan(64L * Yaml.MAX_LINE_CHARS + (8 << 20));
    assertThat(large).isLessThan(64L * 200_000 + (8 << 20));
  }

  @Test
  void aLineLongerThanTheCapIsRefusedWithItsLineNumber() {
    assertThatThrownBy(
            () ->
                Yaml.readSnakeCase(
                    "name: x\nurl: http://host" + "a".repeat(Yaml.MAX_LINE_CHARS) + "\n",
                    "x.yaml",
                    Settings.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("x.yaml:2: a line longer than " + Yaml.MAX_LINE_CHARS + " characters");
  }
}
