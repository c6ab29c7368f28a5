package dev.uat.api;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.events.EventBus;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Service;
import java.time.Duration;

/**
 * The business API (service {@code uat-api}): accounts and tokens, conversations, and the chat flow
 * that stores a message, asks the router, stores the answer and announces it to realtime.
 *
 * <p>Identity is decided here: this service holds the signing key; the others verify.
 */
public final class Api implements AutoCloseable {
  /** Largest request body: the longest message plus JSON overhead. */
  static final long MAX_BODY_BYTES = 256 * 1024;

  private final Service service;
  private final Database database;
  private final JwtKeys keys;

  private Api(Service service, Database database, JwtKeys keys) {
    this.service = service;
    this.database = database;
    this.keys = keys;
  }

  /**
   * Migrates the database, then serves. {@code keys} is the signing key ({@link
   * JwtKeys#loadOrCreate} of the data directory, normally).
   */
  public static Api start(ApiSettings settings, Telemetry telemetry, EventBus bus, JwtKeys keys) {
    requireNonNull(settings, "settings");
    Database database = new Database(settings, telemetry);
    try {
      Store store = new Store(database);
      Sessions sessions = new Sessions(database);
      ApiKeys apiKeys = new ApiKeys(database);
      Audit audit = new Audit(database);
      TokenVerifier verifier = TokenVerifier.local(keys);
      Authenticator auth =
          new Authenticator(
              verifier,
              sessions,
              apiKeys,
              new RateLimiter(settings.limits().requestsPerMinute(), Duration.ofMinutes(1)),
              telemetry);
      AuthRoutes authRoutes =
          new AuthRoutes(
              store,
              sessions,
              new Passwords(settings.bcryptCost()),
              new TokenIssuer(keys),
              verifier,
              keys,
              auth,
              audit,
              settings.limits());
      KeyRoutes keyRoutes = new KeyRoutes(apiKeys, auth, audit);
      AuditRoutes auditRoutes = new AuditRoutes(audit, auth);
      ChatRoutes chatRoutes =
          new ChatRoutes(
              settings,
              store,
              auth,
              new RouterClient(telemetry, settings.routerUrl(), settings.routerTimeout()),
              new EventPublisher(bus, telemetry));
      Service service =
          Service.builder("api", telemetry)
              .host(settings.host())
              .port(settings.port())
              .maxBodyBytes(MAX_BODY_BYTES)
              .readiness("database", database::check)
              .routes(
                  cfg -> {
                    authRoutes.register(cfg);
                    keyRoutes.register(cfg);
                    auditRoutes.register(cfg);
                    chatRoutes.register(cfg);
                  })
              .start();
      return new Api(service, database, keys);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  public int port() {
    return service.port();
  }

  public String url() {
    return service.url();
  }

  /** The signing keys, whose public half other in-process components verify with. */
  public JwtKeys keys() {
    return keys;
  }

  @Override
  public void close() {
    service.close();
    database.close();
  }
}
