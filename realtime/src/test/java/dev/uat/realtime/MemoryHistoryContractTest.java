package dev.uat.realtime;

import java.time.Duration;

class MemoryHistoryContractTest extends HistoryContract {
  private final MemoryHistory history =
      new MemoryHistory(
          SIZE, Duration.ofMinutes(5), 1024 * 1024, System::currentTimeMillis, (why, n) -> {});

  @Override
  History history() {
    return history;
  }

  @Override
  void append(String channel, int n) {
    history.append(event(channel, n));
  }
}
