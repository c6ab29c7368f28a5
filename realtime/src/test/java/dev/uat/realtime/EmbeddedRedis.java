package dev.uat.realtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import redis.embedded.RedisServer;

/**
 * One real Redis (embedded, no persistence) for the tests of this module, started at first use on a
 * free port and stopped when the JVM exits. Tests keep apart by their channels' names.
 */
final class EmbeddedRedis {
  private static String url;

  private EmbeddedRedis() {}

  /** {@code redis://127.0.0.1:<port>}. */
  static synchronized String url() {
    if (url == null) {
      try {
        RedisServer redis = started();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        redis.stop();
                      } catch (IOException e) {
                        // the JVM is going away
                      }
                    }));
        url = "redis://127.0.0.1:" + redis.ports().getFirst();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return url;
  }

  /** A Redis of the caller's own (no persistence) on a free loopback port, started; it stops it. */
  static RedisServer started() throws IOException {
    return started(null);
  }

  /**
   * A Redis of the caller's own on a free loopback port, started; it stops it (and may start it
   * again on that port). With {@code aofDir}: an append-only file there, written on every command,
   * so that a restart keeps the data.
   */
  static RedisServer started(Path aofDir) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"");
    if (aofDir == null) {
      builder.setting("appendonly no");
    } else {
      builder
          .setting("dir " + aofDir.toAbsolutePath())
          .setting("appendonly yes")
          .setting("appendfsync always");
    }
    RedisServer redis = builder.build();
    redis.start();
    return redis;
  }
}
