package dev.uat.realtime;

import static dev.uat.realtime.RedisEventBus.instanceKey;
import static dev.uat.realtime.RedisEventBus.presenceKey;

import io.lettuce.core.KeyValue;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Presence across the instances sharing one Redis, without a sweeper: each instance counts {@code
 * <instance>|<user>} in a channel's presence hash ({@code HINCRBY} on join and leave) and refreshes
 * a heartbeat key ({@link #heartbeat}, 30 s); a reader ignores, and deletes, the fields of
 * instances whose heartbeat is gone.
 *
 * <p>Thread-safe. {@link #joined}, {@link #left} and {@link #heartbeat} only queue commands; {@link
 * #users} is a blocking round trip.
 */
final class RedisPresence implements Presence {
  private static final Duration PRESENCE_TTL = Duration.ofDays(1);
  private static final Duration HEARTBEAT_TTL = Duration.ofSeconds(30);

  private final RedisAsyncCommands<String, String> async;
  private final RedisCommands<String, String> sync;
  private final String instance;

  RedisPresence(
      RedisAsyncCommands<String, String> async,
      RedisCommands<String, String> sync,
      String instance) {
    this.async = async;
    this.sync = sync;
    this.instance = instance;
  }

  @Override
  public void joined(String channel, String userId) {
    if (userId == null) {
      return;
    }
    String key = presenceKey(channel);
    async.hincrby(key, instance + "|" + userId, 1);
    async.expire(key, PRESENCE_TTL.toSeconds());
  }

  @Override
  public void left(String channel, String userId) {
    String key = presenceKey(channel);
    String field = instance + "|" + userId;
    async
        .hincrby(key, field, -1)
        .thenAccept(
            n -> {
              if (n != null && n <= 0) {
                async.hdel(key, field);
              }
            });
  }

  @Override
  public void heartbeat() {
    async.setex(instanceKey(instance), HEARTBEAT_TTL.toSeconds(), "1");
  }

  @Override
  public Map<String, Integer> users(String channel, Map<String, Integer> local) {
    Map<String, String> fields = sync.hgetall(presenceKey(channel));
    Set<String> alive = alive(fields.keySet());
    Map<String, Integer> out = new HashMap<>(local);
    List<String> dead = new ArrayList<>();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      String other = otherInstance(f.getKey());
      if (other == null) {
        continue;
      }
      if (!alive.contains(other)) {
        dead.add(f.getKey());
        continue;
      }
      int n = Integer.parseInt(f.getValue());
      if (n > 0) {
        out.merge(f.getKey().substring(other.length() + 1), n, Integer::sum);
      }
    }
    if (!dead.isEmpty()) {
      async.hdel(presenceKey(channel), dead.toArray(String[]::new));
    }
    return new TreeMap<>(out);
  }

  /** The instance of a presence field when it is another instance's, else null. */
  private String otherInstance(String field) {
    int bar = field.indexOf('|');
    if (bar <= 0 || field.startsWith(instance + "|")) {
      return null;
    }
    return field.substring(0, bar);
  }

  /** The other instances named in {@code fields} whose heartbeat is still there. */
  private Set<String> alive(Set<String> fields) {
    Set<String> instances = new HashSet<>();
    for (String f : fields) {
      String other = otherInstance(f);
      if (other != null) {
        instances.add(other);
      }
    }
    Set<String> alive = new HashSet<>();
    if (!instances.isEmpty()) {
      List<String> ids = new ArrayList<>(instances);
      List<KeyValue<String, String>> beats =
          sync.mget(ids.stream().map(RedisEventBus::instanceKey).toArray(String[]::new));
      for (int i = 0; i < ids.size(); i++) {
        if (beats.get(i).hasValue()) {
          alive.add(ids.get(i));
        }
      }
    }
    return alive;
  }

  @Override
  public String toString() {
    return "RedisPresence{instance=" + instance + "}";
  }
}
