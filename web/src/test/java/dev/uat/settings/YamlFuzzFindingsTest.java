package dev.uat.settings;

import static org.assertj.core.api.Assertions.assertThat;
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
    long small = allocatedReading("name: x\nurl: http://host" + "a".repeat(50_000) + "\n");
    long large = allocatedReading("name: x\nurl: http://host" + "a".repeat(200_000) + "\n");
    System.out.printf("yaml plain scalar: 50,000 chars %d B, 200,000 chars %d B%n", small, large);

    assertThat(large).isLessThan(64L * 200_000 + (8 << 20));
  }
}
