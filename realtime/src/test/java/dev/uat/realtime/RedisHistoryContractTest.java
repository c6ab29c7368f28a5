package dev.uat.realtime;

import static org.awaitility.Awaitility.await;

import dev.uat.telemetry.Telemetry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** {@link RedisHistory} reading what {@link RedisEventBus#publish} appended, on a real Redis. */
class RedisHistoryContractTest extends HistoryContract {
  private final RedisEventBus bus =
      RedisEventBus.connect(
          EmbeddedRedis.url(), Telemetry.noop("uat-api"), SIZE, Duration.ofMinutes(5));

  @AfterEach
  void close() {
    bus.close();
  }

  @Override
  History history() {
    return bus.history();
  }

  @Override
  void append(String channel, int n) {
    bus.publish(event(channel, n)); // asynchronous: done when the stream has it
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> bus.history().position(channel).offset() == n);
  }
}
