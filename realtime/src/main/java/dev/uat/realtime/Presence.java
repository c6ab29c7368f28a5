package dev.uat.realtime;

import java.util.Map;

/**
 * Who is subscribed to a channel across instances. The hub knows its own members; an instance
 * sharing Redis also counts the others' ({@link RedisPresence}). {@link #joined} and {@link #left}
 * never block; {@link #users} may (a round trip).
 */
interface Presence {
  void joined(String channel, String userId);

  void left(String channel, String userId);

  /** Connections per user on {@code channel}, everywhere; {@code local} is this instance's. */
  Map<String, Integer> users(String channel, Map<String, Integer> local) throws Exception;

  /** Called now and then: tells the others this instance is alive. */
  default void heartbeat() {}

  /** One instance: what it knows is everything. */
  Presence LOCAL =
      new Presence() {
        @Override
        public void joined(String channel, String userId) {}

        @Override
        public void left(String channel, String userId) {}

        @Override
        public Map<String, Integer> users(String channel, Map<String, Integer> local) {
          return local;
        }
      };
}
