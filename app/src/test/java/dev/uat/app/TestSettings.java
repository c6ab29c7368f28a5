package dev.uat.app;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The settings the app's tests start the platform with: echo provider, cheap bcrypt, own ports. */
final class TestSettings {
  private TestSettings() {}

  /** All in one JVM ({@code uat up}) on ports chosen at start, with data in {@code data}. */
  static Map<String, String> allInOne(Path data) {
    Map<String, String> flags = new HashMap<>();
    flags.put("data", data.toString());
    flags.put("provider", "echo");
    flags.put("bcrypt-cost", "4");
    for (String port : Config.PORTS) {
      flags.put(port, "0");
    }
    return flags;
  }

  /**
   * For components started alone ({@code uat serve}): every port chosen now, and each peer's URL
   * set from them, as an operator would.
   */
  static Map<String, String> separate(Path data) throws IOException {
    Map<String, String> flags = allInOne(data);
    for (String port : Config.PORTS) {
      flags.put(port, Integer.toString(FreePorts.pick()));
    }
    String base = "http://127.0.0.1:";
    flags.put("api-url", base + flags.get("api-port"));
    flags.put("router-url", base + flags.get("router-port"));
    flags.put("realtime-url", base + flags.get("realtime-port"));
    return flags;
  }
}
