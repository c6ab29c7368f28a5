package dev.uat.auth;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.uat.events.EventBus;
import dev.uat.telemetry.Telemetry;
import dev.uat.telemetry.TracedHttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way every component turns a bearer credential into a {@link Principal}: an access token
 * is verified by signature ({@link TokenVerifier}) and its login session must still be active; an
 * API key must be live. What the signature cannot tell is asked of a {@link CredentialBackend} (the
 * api's database, or the api over HTTP) and the answer kept {@link #RECHECK} at most, in caches
 * bounded in bytes. {@link Revocation} signals drop cached answers at once, so logout, logout-all,
 * password change, token reuse and key revocation end access in every component within {@link
 * #RECHECK} even without the bus, and at once with it.
 *
 * <p>Thread-safe; {@link #authenticate} blocks only on a cache miss (one backend call).
 */
public final class Credentials {
  private static final Logger log = LoggerFactory.getLogger(Credentials.class);

  /** How long a backend answer is believed: the longest a revocation can go unnoticed. */
  public static final Duration RECHECK = Duration.ofSeconds(5);

  /** Default byte budget of the session and key answer caches, together. */
  public static final long DEFAULT_CACHE_BYTES = 4L * 1024 * 1024;

  /** Longest credential read at all; a longer one is refused unread. */
  public static final int MAX_CREDENTIAL_LENGTH = 8192;

  private record SessionAnswer(boolean active, String userId) {}

  private record KeyAnswer(Principal principal) {}

  private final TokenVerifier verifier;
  private final CredentialBackend backend;
  private final Clock clock;
  private final Cache<String, SessionAnswer> sessions;
  private final Cache<String, KeyAnswer> keys;
  private final CopyOnWriteArrayList<Consumer<Revocation>> listeners = new CopyOnWriteArrayList<>();

  public Credentials(TokenVerifier verifier, CredentialBackend backend) {
    this(verifier, backend, RECHECK, DEFAULT_CACHE_BYTES, Ticker.systemTicker(), Clock.systemUTC());
  }

  /**
   * Credentials of a component other than the api: signatures checked by {@code verifier}, login
   * sessions and API keys asked of the api at {@code apiUrl} ({@link RemoteCredentialBackend}) with
   * a client traced by {@code telemetry}, so that a check shows in the request's trace.
   */
  public static Credentials remote(TokenVerifier verifier, String apiUrl, Telemetry telemetry) {
    return new Credentials(
        verifier, new RemoteCredentialBackend(apiUrl, TracedHttpClient.jdk(telemetry)));
  }

  /** With the re-check period, cache budget, and time sources (tests). */
  Credentials(
      TokenVerifier verifier,
      CredentialBackend backend,
      Duration recheck,
      long cacheBytes,
      Ticker ticker,
      Clock clock) {
    this.verifier = requireNonNull(verifier, "verifier");
    this.backend = requireNonNull(backend, "backend");
    this.clock = requireNonNull(clock, "clock");
    requireNonNull(recheck, "recheck");
    if (cacheBytes < 1024) {
      throw new IllegalArgumentException("cacheBytes must be at least 1 KiB");
    }
    this.sessions =
        Caffeine.newBuilder()
            .ticker(ticker)
            .expireAfterWrite(recheck)
            .maximumWeight(cacheBytes / 2)
            .<String, SessionAnswer>weigher(
                (sid, a) -> 96 + 2 * (sid.length() + a.userId().length()))
            .build();
    this.keys =
        Caffeine.newBuilder()
            .ticker(ticker)
            .expireAfterWrite(recheck)
            .maximumWeight(cacheBytes / 2)
            .<String, KeyAnswer>weigher((hash, a) -> 96 + 2 * hash.length() + size(a.principal()))
            .build();
  }

  private static int size(Principal p) {
    if (p == null) {
      return 0;
    }
    int n = 160 + 2 * (p.userId().length() + p.tokenId().length());
    for (String s : p.scopes()) {
      n += 48 + 2 * s.length();
    }
    return n;
  }

  /**
   * The principal of an {@code Authorization} header value ({@code Bearer <token or key>}).
   *
   * @throws InvalidTokenException no credential, or one that is invalid, expired or revoked
   * @throws CredentialsUnavailableException the backend cannot answer now (answer 503)
   */
  public Principal authenticate(String authorization)
      throws InvalidTokenException, CredentialsUnavailableException {
    String credential = TokenVerifier.bearer(authorization);
    if (credential == null || credential.isBlank()) {
      throw new InvalidTokenException("no bearer credential");
    }
    return authenticateCredential(credential);
  }

  /**
   * The principal of a bare credential (an access token or an API key); see {@link #authenticate}.
   */
  public Principal authenticateCredential(String credential)
      throws InvalidTokenException, CredentialsUnavailableException {
    if (credential == null || credential.isBlank()) {
      throw new InvalidTokenException("no credential");
    }
    if (credential.length() > MAX_CREDENTIAL_LENGTH) {
      throw new InvalidTokenException("credential too long");
    }
    return ApiKeyFormat.looksLikeKey(credential) ? apiKey(credential) : accessToken(credential);
  }

  private Principal apiKey(String secret)
      throws InvalidTokenException, CredentialsUnavailableException {
    if (secret.length() > ApiKeyFormat.MAX_LENGTH) {
      throw new InvalidTokenException("unknown or revoked API key");
    }
    String hash = ApiKeyFormat.hash(secret);
    KeyAnswer answer = keys.getIfPresent(hash);
    if (answer == null) {
      Optional<Principal> live = backend.apiKey(secret);
      answer = new KeyAnswer(live.orElse(null));
      keys.put(hash, answer);
    }
    Principal p = answer.principal();
    if (p == null) {
      throw new InvalidTokenException("unknown or revoked API key");
    }
    if (!clock.instant().isBefore(p.expiresAt())) {
      throw new InvalidTokenException(InvalidTokenException.Reason.EXPIRED, "the API key expired");
    }
    return p;
  }

  private Principal accessToken(String token)
      throws InvalidTokenException, CredentialsUnavailableException {
    Principal p = verifier.verifyAccess(token);
    String sid = p.sessionId();
    if (sid == null) {
      return p;
    }
    SessionAnswer answer = sessions.getIfPresent(sid);
    if (answer == null) {
      answer = new SessionAnswer(backend.sessionActive(p, token), p.userId());
      sessions.put(sid, answer);
    }
    if (!answer.active()) {
      throw new InvalidTokenException(
          InvalidTokenException.Reason.REVOKED, "the login session was ended");
    }
    return p;
  }

  /**
   * Applies a revocation: cached answers it concerns are dropped (sessions remembered as ended),
   * then every listener is told. Idempotent; never throws.
   */
  public void revoked(Revocation r) {
    switch (r.kind()) {
      case SESSION -> sessions.put(r.id(), new SessionAnswer(false, ""));
      case USER -> {
        sessions.asMap().replaceAll((sid, a) -> a.userId().equals(r.id()) ? inactive(a) : a);
        keys.asMap()
            .values()
            .removeIf(a -> a.principal() != null && a.principal().userId().equals(r.id()));
      }
      case KEY ->
          keys.asMap()
              .values()
              .removeIf(a -> a.principal() != null && a.principal().tokenId().equals(r.id()));
    }
    for (Consumer<Revocation> listener : listeners) {
      try {
        listener.accept(r);
      } catch (RuntimeException e) {
        log.warn("a revocation listener failed", e);
      }
    }
  }

  private static SessionAnswer inactive(SessionAnswer a) {
    return new SessionAnswer(false, a.userId());
  }

  /** Calls {@code listener} after each revocation this instance learns of; close to remove. */
  public AutoCloseable onRevocation(Consumer<Revocation> listener) {
    requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /**
   * Learns revocations from {@code bus} ({@link Revocation#CHANNEL}); close to stop. A bus that
   * only publishes (the api's HTTP bus to realtime) brings none: then revocations made elsewhere
   * are noticed within {@link #RECHECK}.
   */
  public AutoCloseable listen(EventBus bus) {
    try {
      return bus.subscribe(
          event -> Revocation.fromEvent(event).ifPresent(this::revoked),
          Revocation.CHANNEL::equals);
    } catch (UnsupportedOperationException e) {
      log.info("{} brings no revocations here; they are noticed within {}", bus.system(), RECHECK);
      return () -> {};
    }
  }

  /** Applies {@code r} here and announces it on {@code bus} to every other component. */
  public void announce(EventBus bus, Revocation r) {
    revoked(r);
    try {
      bus.publish(r.toEvent());
    } catch (RuntimeException e) { // the bus is down: the others learn within RECHECK
      log.warn("cannot announce {} on the bus; others learn within {}", r, RECHECK, e);
    }
  }

  /** The verifier behind this instance (refresh and service tokens). */
  public TokenVerifier verifier() {
    return verifier;
  }
}
