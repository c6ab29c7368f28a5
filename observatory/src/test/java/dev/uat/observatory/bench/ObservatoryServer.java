package dev.uat.observatory.bench;

import dev.uat.observatory.Observatory;
import dev.uat.observatory.ObservatorySettings;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TelemetrySettings;
import java.util.concurrent.CountDownLatch;

/**
 * The observatory alone in its own JVM, as {@code uat serve observatory} runs it, for the
 * benchmark: {@code ObservatoryServer <otlpPort> <queryPort> <zipkinPort> <maxStoreBytes>}.
 */
public final class ObservatoryServer {
  private ObservatoryServer() {}

  public static void main(String[] args) throws Exception {
    Telemetry telemetry =
        Telemetry.create(
            new TelemetrySettings("uat-observatory", "http://127.0.0.1:1", false, false));
    Observatory observatory =
        Observatory.start(
            ObservatorySettings.defaults().toBuilder()
                .otlpPort(Integer.parseInt(args[0]))
                .queryPort(Integer.parseInt(args[1]))
                .zipkinPort(Integer.parseInt(args[2]))
                .maxStoreBytes(Long.parseLong(args[3]))
                .otlpGrpcPort(0)
                .build(),
            telemetry);
    System.out.println("READY " + observatory);
    new CountDownLatch(1).await();
  }
}
