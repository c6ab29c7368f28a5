package dev.uat.observatory.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TagBloomTest {
  @Test
  void decimalHashIsTheHashOfTheDecimalText() {
    SplittableRandom random = new SplittableRandom(7);
    long[] edges = {0, 1, -1, 9, 10, 99, 100, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
    for (long value : edges) {
      assertThat(TagBloom.decimalHash(value))
          .as("%d", value)
          .isEqualTo(Long.toString(value).hashCode());
    }
    for (int i = 0; i < 100_000; i++) {
      long value = random.nextLong() >> random.nextInt(64);
      assertThat(TagBloom.decimalHash(value))
          .as("%d", value)
          .isEqualTo(Long.toString(value).hashCode());
    }
  }
}
