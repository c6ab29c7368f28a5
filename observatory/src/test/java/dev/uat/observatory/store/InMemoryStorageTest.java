package dev.uat.observatory.store;

import static dev.uat.observatory.store.TestSpans.service;
import static dev.uat.observatory.store.TestSpans.span;
import static dev.uat.observatory.store.TestSpans.traceId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.observatory.model.Resource;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryStorageTest extends SpanStoreContractTest {
  @Override
  protected Storage newStorage(long maxBytes) {
    return new InMemoryStorage(maxBytes);
  }

  @Test
  void storedBytesStayWithinTheBudgetAndEvictionsAreCounted() {
    InMemoryStorage storage = (InMemoryStorage) storage(32 * 1024);
    Resource api = service("uat-api");
    for (int i = 1; i <= 500; i++) {
      storage.accept(List.of(span(traceId(i), i, api)));
    }

    InMemoryStorage.Stats stats = storage.stats();
    assertThat(stats.bytes()).isPositive().isLessThanOrEqualTo(32 * 1024);
    assertThat(stats.evictedTraces()).isEqualTo(500 - stats.traces());
    assertThat(stats.spans()).isEqualTo(stats.traces());
  }

  @Test
  void statsCountTracesSpansAndBytes() {
    InMemoryStorage storage = (InMemoryStorage) storage(LARGE);
    Resource api = service("uat-api");
    storage.accept(List.of(span(traceId(1), 1, api), span(traceId(1), 2, 1, api)));
    storage.accept(List.of(span(traceId(2), 3, api)));

    InMemoryStorage.Stats stats = storage.stats();
    assertThat(stats.traces()).isEqualTo(2);
    assertThat(stats.spans()).isEqualTo(3);
    assertThat(stats.bytes()).isBetween(3 * SpanSizes.SPAN, 4 * 1024L);
    assertThat(stats.indexBytes()).isPositive().isLessThan(stats.bytes());
    assertThat(stats.services()).isEqualTo(1);
    assertThat(stats.evictedTraces()).isZero();
  }

  @Test
  void budgetMustBePositive() {
    assertThatThrownBy(() -> new InMemoryStorage(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
