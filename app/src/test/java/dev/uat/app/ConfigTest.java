package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigTest {
  @TempDir Path dir;

  @Test
  void aSettingsFileThatIsNotUtf8IsOneClearLine() throws Exception {
    Path yaml = dir.resolve("latin1.yaml");
    Files.write(
        yaml, new byte[] {'m', 'o', 'd', 'e', 'l', ':', ' ', (byte) 0xe9, (byte) 0xaf, '\n'});

    assertThatThrownBy(() -> Config.load(yaml, Map.of(), Map.of()))
        .isInstanceOf(Config.ConfigException.class)
        .hasMessage(yaml + " is not UTF-8 text");
  }

  @Test
  @Timeout(120)
  void aPortInUseIsOneLineAndExitCode2NotAStackTrace() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path yaml = dir.resolve("uat.yaml");
      StringBuilder ports = new StringBuilder();
      for (String port : Config.PORTS) {
        ports.append(port).append(": 0\n");
      }
      Files.writeString(
          yaml,
          ports.toString().replace("edge-port: 0", "edge-port: " + taken.getLocalPort())
              + "provider: echo\nbcrypt-cost: 4\ndata: "
              + dir.resolve("data")
              + "\n");
      StringWriter err = new StringWriter();

      int code = Uat.run(new PrintWriter(err, true), "up", "--config", yaml.toString());

      assertThat(code).isEqualTo(2);
      assertThat(err.toString())
          .startsWith("uat: cannot listen")
          .contains(Integer.toString(taken.getLocalPort()))
          .doesNotContain("\tat ");
    }
  }

  @Test
  void everyCommandLineFlagSetsTheSettingOfItsName() {
    CommandLine.ParseResult parsed =
        Uat.commandLine()
            .parseArgs(
                "serve",
                "router",
                "--api-url",
                "http://10.0.0.7:9999/",
                "--provider",
                "echo",
                "--port",
                "18003");
    Uat.Serve serve = parsed.subcommand().commandSpec().commandLine().getCommand();

    Config c = serve.load(Map.of("router-port", serve.port));

    assertThat(c.require("api-url")).isEqualTo("http://10.0.0.7:9999/");
    assertThat(c.require("provider")).isEqualTo("echo");
    assertThat(c.port("router-port")).isEqualTo(18003);
    assertThat(c.get("model")).isEmpty();
    assertThat(c.source("api-url")).isEqualTo("--api-url");
  }

  @Test
  void flagsOverrideEnvironmentWhichOverridesTheFile() throws Exception {
    Path yaml = dir.resolve("uat.yaml");
    Files.writeString(
        yaml, "provider: ollama\nmodel: from-file\nport-offset: 5\ndata: /from/file\n");
    Map<String, String> env = Map.of("UAT_MODEL", "from-env", "UAT_DATA", "/from/env");
    Map<String, String> flags = new HashMap<>();
    flags.put("data", "/from/flag");
    flags.put("provider", null); // not given on the command line

    Config c = Config.load(yaml, env, flags);

    assertThat(c.require("provider")).isEqualTo("ollama");
    assertThat(c.require("model")).isEqualTo("from-env");
    assertThat(c.dataDir()).isEqualTo(Path.of("/from/flag"));
    assertThat(c.port("edge-port")).isEqualTo(8005);
    assertThat(c.source("model")).isEqualTo("UAT_MODEL");
    assertThat(c.get("openai-url")).isEmpty();
  }

  @Test
  void signingKeyComesFromConfigurationOrTheDataDirectory() throws Exception {
    Path provisioned = Files.createDirectory(dir.resolve("provisioned"));
    dev.uat.auth.JwtKeys original = dev.uat.auth.JwtKeys.loadOrCreate(provisioned);
    Path file = provisioned.resolve(dev.uat.auth.JwtKeys.FILE); // a private EC JWK
    String jwk = Files.readString(file);

    Config fromFile = Config.load(null, Map.of("UAT_JWT_KEY", file.toString()), Map.of());
    assertThat(Wiring.jwtKeys(fromFile).keyId()).isEqualTo(original.keyId());
    Config inline = Config.load(null, Map.of("UAT_JWT_KEY", jwk), Map.of());
    assertThat(Wiring.jwtKeys(inline).keyId()).isEqualTo(original.keyId());
    Config none = Config.load(null, Map.of("UAT_DATA", dir.resolve("d").toString()), Map.of());
    assertThat(Wiring.jwtKeys(none).keyId()).isNotEqualTo(original.keyId());
    assertThat(dir.resolve("d").resolve(dev.uat.auth.JwtKeys.FILE)).exists();
    Config missing =
        Config.load(null, Map.of("UAT_JWT_KEY", dir.resolve("nope").toString()), Map.of());
    assertThatThrownBy(() -> Wiring.jwtKeys(missing)).hasMessageContaining("jwt-key");
  }

  @Test
  void portZeroStaysZeroWhateverTheOffset() {
    Config c = Config.load(null, Map.of("UAT_PORT_OFFSET", "100", "UAT_API_PORT", "0"), Map.of());
    assertThat(c.port("api-port")).isZero();
    assertThat(c.port("router-port")).isEqualTo(8103);
  }

  @Test
  void mistakesAreNamed() throws Exception {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "provder: echo\n");
    assertThatThrownBy(() -> Config.load(yaml, Map.of(), Map.of()))
        .isInstanceOf(Config.ConfigException.class)
        .hasMessageContaining("unknown setting 'provder'");
    Config c = Config.load(null, Map.of("UAT_PORT_OFFSET", "ten"), Map.of());
    assertThatThrownBy(() -> c.port("edge-port"))
        .hasMessageContaining("port-offset")
        .hasMessageContaining("UAT_PORT_OFFSET");
    Config far = Config.load(null, Map.of("UAT_PORT_OFFSET", "60000"), Map.of());
    assertThatThrownBy(() -> far.port("edge-port")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> c.require("api-url"))
        .hasMessageContaining("--api-url")
        .hasMessageContaining("UAT_API_URL");
  }
}
