package dev.uat.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.uat.events.InProcessEventBus;
import dev.uat.web.Closer;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code uat up} and {@code uat serve} go through one wiring path: from the same settings they
 * build the same components with the same settings; only the documented shortcuts differ.
 */
@Timeout(120)
class WiringTest {
  @TempDir Path data;

  @Test
  void allInOneAndDistributedBuildTheSameComponentsFromTheSameSettings() throws Exception {
    Config config = Config.load(null, Map.of(), TestSettings.separate(data));

    Map<Wiring.Component, Wiring.Started> allInOne;
    try (Platform p = Platform.up(config)) {
      allInOne = p.started();
      assertThat(p.events()).isInstanceOf(InProcessEventBus.class); // the shared bus shortcut
    }

    Map<Wiring.Component, Wiring.Started> distributed = new EnumMap<>(Wiring.Component.class);
    try (Closer closer = new Closer()) {
      for (Wiring.Component c : Wiring.START_ORDER) {
        distributed.put(c, Uat.Serve.start(c, config, closer));
      }
    }

    assertThat(distributed.keySet()).containsExactlyElementsOf(Wiring.START_ORDER);
    assertThat(allInOne.keySet()).containsExactlyInAnyOrderElementsOf(Wiring.START_ORDER);
    for (Wiring.Component c : Wiring.START_ORDER) {
      Wiring.Started up = allInOne.get(c);
      Wiring.Started serve = distributed.get(c);
      assertThat(serve.instance().getClass()).as(c.id()).isEqualTo(up.instance().getClass());
      assertThat(serve.settings()).as(c.id() + " settings").isEqualTo(up.settings());
      assertThat(serve.url()).as(c.id() + " url").isEqualTo(up.url());
    }
  }

  @Test
  void unknownComponentIsAClearConfigurationError() {
    assertThatThrownBy(() -> Wiring.Component.named("gateway"))
        .isInstanceOf(Config.ConfigException.class)
        .hasMessageContaining("edge, api, router, realtime or observatory");
  }
}
