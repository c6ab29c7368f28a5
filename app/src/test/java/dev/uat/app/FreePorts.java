package dev.uat.app;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for components that a test starts later (by number, so that each knows the others' URLs).
 * They come from below the kernel's ephemeral range (32768–60999 here): a port taken from that
 * range and released can be handed to an outgoing connection before the component binds it. Ports
 * given out once are not given out again in this JVM.
 */
final class FreePorts {
  private static final int LOW = 20_000;
  private static final int HIGH = 32_000;
  private static final Set<Integer> given = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  static int pick() throws IOException {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
      if (!given.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException e) {
        // taken: try another
      }
    }
    throw new IOException("no free port between " + LOW + " and " + HIGH);
  }
}
