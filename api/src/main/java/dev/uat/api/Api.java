package dev.uat.api;

import static java.util.Objects.requireNonNull;

import dev.uat.auth.Credentials;
import dev.uat.auth.JwtKeys;
import dev.uat.auth.TokenIssuer;
import dev.uat.auth.TokenVerifier;
import dev.uat.db.Database;
import dev.uat.events.EventBus;
import dev.uat.events.EventPublisher;
import dev.uat.telemetry.Telemetry;
import dev.uat.web.Closer;
import dev.uat.web.Service;

/**
 * The business API (service {@code uat-api}): accounts and tokens, conversations, and the chat flow
 * that stores a message, asks the router, stores the answer and announces it to realtime.
 *
 * <p>Identity is decided here: this service holds the signing key and the sessions and keys; the
 * others verify signatures and ask this service ({@code GET /api/auth/introspect}) whether a
 * session or key is still live. Revocations decided here are announced on the event bus. {@link
 * #start} throws if the database cannot be migrated or the port bound; {@link #close} stops serving
 * and closes the pool. Thread-safe.
 */
public final class Api implements AutoCloseable {
  /** Largest request body: the longest message plus JSON overhead. */
  static final long MAX_BODY_BYTES = 256 * 1024;

  private final Service service;
  private final Database database;
  private final JwtKeys keys;
  private final Closer closer;

  private Api(Service service, Database database, JwtKeys keys, Closer closer) {
    this.service = service;
    this.database = database;
    this.keys = keys;
    this.closer = closer;
  }

  /**
   * Migrates the database, then serves. {@code keys} is the signing key ({@link
   * JwtKeys#loadOrCreate} of the data directory, normally).
   */
  public static Api start(ApiSettings settings, Telemetry telemetry, EventBus bus, JwtKeys keys) {
    requireNonNull(settings, "settings");
    requireNonNull(bus, "bus");
    Closer closer = new Closer();
    Database database =
        closer.register(
            Database.start(
                new Database.Settings(
                    settings.effectiveJdbcUrl(),
                    settings.jdbcUser(),
                    settings.jdbcPassword(),
                    "uat-api",
                    10,
                    "classpath:db/migration",
                    "flyway_schema_history"),
                telemetry));
    return closer.startOrClose(
        () -> {
          ApiMetrics metrics = new ApiMetrics(telemetry);
          Jdbc jdbc = new Jdbc(database);
          Store store = new Store(jdbc);
          Sessions sessions = new Sessions(jdbc);
          ApiKeys apiKeys = new ApiKeys(jdbc);
          Audit audit = new Audit(jdbc);
          TokenVerifier verifier = TokenVerifier.local(keys);
          Credentials credentials =
              new Credentials(verifier, new LocalCredentialBackend(sessions, apiKeys));
          Authenticator auth =
              new Authenticator(
                  credentials, bus, settings.limits().requestsPerMinute(), metrics, telemetry);
          closer.register(auth.listen());
          AuthRoutes authRoutes =
              new AuthRoutes(
                  store,
                  sessions,
                  apiKeys,
                  new Passwords(settings.bcryptCost()),
                  new TokenIssuer(keys),
                  verifier,
                  keys,
                  auth,
                  audit,
                  settings.limits(),
                  metrics);
          KeyRoutes keyRoutes = new KeyRoutes(apiKeys, auth, audit, metrics);
          AuditRoutes auditRoutes = new AuditRoutes(audit, auth);
          ConversationRoutes conversationRoutes = new ConversationRoutes(store, auth, metrics);
          ChatRoutes chatRoutes =
              new ChatRoutes(
                  settings,
                  store,
                  auth,
                  new RouterClient(telemetry, settings.routerUrl(), settings.routerTimeout()),
                  new EventPublisher(bus, telemetry),
                  metrics);
          Service service =
              closer.register(
                  Service.builder("api", telemetry)
                      .host(settings.host())
                      .port(settings.port())
                      .exposure(settings.exposure())
                      .maxBodyBytes(MAX_BODY_BYTES)
                      .readiness("database", database::check)
                      .routes(
                          cfg -> {
                            authRoutes.register(cfg);
                            keyRoutes.register(cfg);
                            auditRoutes.register(cfg);
                            chatRoutes.register(cfg);
                            conversationRoutes.register(cfg);
                          })
                      .start());
          return new Api(service, database, keys, closer);
        });
  }

  public int port() {
    return service.port();
  }

  public String url() {
    return service.url();
  }

  /** The database (tests). */
  Database database() {
    return database;
  }

  /** The signing keys, whose public half other in-process components verify with. */
  public JwtKeys keys() {
    return keys;
  }

  /** Stops serving, stops listening for revocations, closes the pool. */
  @Override
  public void close() {
    closer.close();
  }
}
