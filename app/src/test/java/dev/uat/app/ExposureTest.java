package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.uat.auth.JwtKeys;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is internal stays internal: the edge listens on the public bind ({@code host}), everything
 * else on the internal one ({@code internal-host}); the data directory is owner-only.
 */
@Timeout(120)
class ExposureTest {
  @TempDir Path tmp;

  @Test
  void exposingTheEdgeLeavesEveryOtherListenerOnTheInternalBind() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "needs /proc/net/tcp (Linux)");
    Map<String, String> flags = TestSettings.allInOne(tmp.resolve("data"));
    flags.put("host", "127.0.0.2"); // a second loopback address stands for the public interface
    try (Platform p = Platform.up(Config.load(null, Map.of(), flags))) {
      Map<Integer, String> listening = listeningIpv4();
      assertThat(listening.get(port(p.edge().url()))).isEqualTo("127.0.0.2");
      for (String url :
          List.of(
              p.api().url(),
              p.router().url(),
              p.realtime().url(),
              p.observatory().queryUrl(),
              p.observatory().otlpUrl(),
              p.observatory().otlpGrpcUrl(),
              p.observatory().zipkinUrl())) {
        assertThat(listening.get(port(url))).as(url).isEqualTo("127.0.0.1");
      }
    }
  }

  @Test
  void theDataDirectoryIsOwnerOnlyAndAWideOneIsTightened() throws Exception {
    Path fresh = tmp.resolve("fresh");
    try (Platform p = Platform.up(Config.load(null, Map.of(), TestSettings.allInOne(fresh)))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)))
          .isEqualTo("rwx------");
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(fresh.resolve(JwtKeys.FILE))))
          .isEqualTo("rw-------");
    }
    Path wide = Files.createDirectory(tmp.resolve("wide"));
    Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxr-xr-x"));
    DataDirectory.prepare(wide);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(wide)))
        .isEqualTo("rwx------");
  }

  @Test
  void aMistypedProxyBlockIsAConfigurationError() {
    Map<String, String> flags = TestSettings.allInOne(tmp.resolve("data"));
    flags.put("trusted-proxies", "10.0.0.0/8, not-a-block");
    assertThatThrownBy(() -> Config.load(null, Map.of(), flags).exposure())
        .isInstanceOf(Config.ConfigException.class)
        .hasMessageContaining("not-a-block");
  }

  private static int port(String url) {
    return URI.create(url).getPort();
  }

  /** Listening TCP sockets of this machine: port to local IPv4 address (v4-mapped ones too). */
  private static Map<Integer, String> listeningIpv4() throws IOException {
    Map<Integer, String> out = new HashMap<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.isReadable(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !f[3].equals("0A")) { // 0A: LISTEN
          continue;
        }
        String[] local = f[1].split(":");
        String hex = local[0];
        if (hex.length() == 32) {
          if (!hex.startsWith("0000000000000000FFFF0000")) {
            continue; // a real IPv6 address
          }
          hex = hex.substring(24);
        }
        long a = Long.parseLong(hex, 16); // the kernel's byte order: little-endian here
        String ip =
            (a & 0xff) + "." + (a >> 8 & 0xff) + "." + (a >> 16 & 0xff) + "." + (a >> 24 & 0xff);
        out.put(Integer.parseInt(local[1], 16), ip);
      }
    }
    return out;
  }
}
