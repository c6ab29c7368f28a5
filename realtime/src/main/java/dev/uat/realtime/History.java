package dev.uat.realtime;

import java.util.List;

/**
 * Where a channel's recent events are kept, bounded in number and age, so that a client that lost
 * its connection can get what it missed. In memory for one instance ({@link MemoryHistory}); a
 * Redis stream per channel when instances share Redis ({@link RedisHistory}).
 *
 * <p>Implementations are thread-safe. They may block (a network round trip): the hub calls them
 * from a connection's thread, never from its delivery thread.
 */
interface History {
  /** The newest offset and the epoch of {@code channel} (offset 0 when it has no history yet). */
  Position position(String channel) throws Exception;

  /**
   * The events of {@code channel} after {@code since} in {@code epoch}, oldest first, at most
   * {@code max}: recovered only when all of them are still there (same epoch, nothing trimmed or
   * expired in between).
   */
  Recovery recover(String channel, long since, String epoch, int max) throws Exception;

  /**
   * Forgets what has grown too old; called on the delivery thread now and then. Nothing to do where
   * the history expires by itself (Redis).
   */
  default void sweep() {}

  record Position(long offset, String epoch) {}

  /**
   * @param recovered whether {@code events} is everything after the client's position
   * @param position the channel's position now
   * @param events what the client missed, when recovered; empty otherwise
   */
  record Recovery(boolean recovered, Position position, List<Publication> events) {
    static Recovery lost(Position position) {
      return new Recovery(false, position, List.of());
    }
  }
}
