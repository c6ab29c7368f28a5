package dev.uat.app;

import dev.uat.api.Api;
import dev.uat.edge.Edge;
import dev.uat.events.EventBus;
import dev.uat.observatory.Observatory;
import dev.uat.realtime.Realtime;
import dev.uat.router.Router;
import dev.uat.web.Closer;
import java.net.BindException;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every component in one JVM ({@code uat up}), started through the same {@link Wiring} as {@code
 * uat serve} starts each one alone. They still talk over loopback HTTP, each with its own port and
 * its own OpenTelemetry SDK, so traces cross real service boundaries; the all-in-one's shortcuts
 * (one signing key in memory, one event bus) are listed in {@link Wiring}.
 */
public final class Platform implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Platform.class);
  private final Closer closer = new Closer();
  private final Map<Wiring.Component, Wiring.Started> started =
      new EnumMap<>(Wiring.Component.class);
  private Wiring wiring;

  private Platform() {}

  /**
   * Starts every component; on failure, stops what had started and rethrows. Ports that say 0 are
   * chosen before any component starts (they refer to each other), so another process may bind one
   * in between (an outgoing connection's ephemeral port, say): then everything started is stopped
   * and the ports are chosen again, at most {@link #ATTEMPTS} times in all.
   */
  public static Platform up(Config config) {
    return up(config, Config::withFreePortsChosen);
  }

  static final int ATTEMPTS = 3;

  static Platform up(Config config, UnaryOperator<Config> choosePorts) {
    for (int attempt = 1; ; attempt++) {
      try {
        return upOnce(choosePorts.apply(config));
      } catch (RuntimeException e) {
        if (attempt == ATTEMPTS || !config.choosesFreePorts() || !portTaken(e)) {
          throw e;
        }
        log.info("a port chosen for the all-in-one was taken before it was bound; choosing again");
      }
    }
  }

  private static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
      for (Throwable s : t.getSuppressed()) {
        if (portTaken(s)) {
          return true;
        }
      }
    }
    return false;
  }

  private static Platform upOnce(Config chosen) {
    Platform p = new Platform();
    Config c = chosen.withPeersOnLoopback();
    p.wiring = new Wiring(c, p.closer, Wiring.Mode.ALL_IN_ONE);
    p.closer.startOrClose(
        () -> {
          for (Wiring.Component component : Wiring.START_ORDER) {
            p.started.put(component, p.wiring.start(component));
          }
          return p;
        });
    return p;
  }

  /** What was started, and from which settings, per component (for tests). */
  Map<Wiring.Component, Wiring.Started> started() {
    return Map.copyOf(started);
  }

  public Observatory observatory() {
    return (Observatory) started.get(Wiring.Component.OBSERVATORY).instance();
  }

  public Router router() {
    return (Router) started.get(Wiring.Component.ROUTER).instance();
  }

  public Api api() {
    return (Api) started.get(Wiring.Component.API).instance();
  }

  public Realtime realtime() {
    return (Realtime) started.get(Wiring.Component.REALTIME).instance();
  }

  public Edge edge() {
    return (Edge) started.get(Wiring.Component.EDGE).instance();
  }

  /** The bus the api publishes on and realtime delivers from. */
  public EventBus events() {
    return wiring.sharedBus();
  }

  /**
   * Stops everything, newest first: services, then their SDKs (which flush), then the observatory.
   */
  @Override
  public void close() {
    closer.close();
  }
}
