package dev.uat.realtime;

import dev.uat.auth.Credentials;
import dev.uat.auth.CredentialsUnavailableException;
import dev.uat.auth.InvalidTokenException;
import dev.uat.auth.Principal;
import dev.uat.auth.Revocation;
import java.time.Instant;

/**
 * Closes the connections that stopped being alive or allowed: those that did not authenticate in
 * time, did not answer a ping, or whose credential expired ({@link #tick}, on the timer thread),
 * was revoked ({@link #revoked}, on the thread that announces it) or no longer passes {@link
 * Credentials} ({@link #recheck}, on its own thread). Only queues frames; never waits for a socket.
 */
final class ConnectionChecks {
  private final RealtimeSettings settings;
  private final HubMetrics metrics;
  private final Credentials credentials;
  private final ConnectionRegistry connections;

  ConnectionChecks(
      RealtimeSettings settings,
      HubMetrics metrics,
      Credentials credentials,
      ConnectionRegistry connections) {
    this.settings = settings;
    this.metrics = metrics;
    this.credentials = credentials;
    this.connections = connections;
  }

  /**
   * Pings quiet clients, closes those that did not answer, unauthenticated ones, and those whose
   * credential has expired (4001).
   */
  void tick() {
    Instant wallClock = Instant.now();
    long now = System.nanoTime();
    long pingEvery = settings.pingInterval().toNanos();
    long pongWithin = settings.pongTimeout().toNanos();
    long authWithin = settings.authTimeout().toNanos();
    for (Connection c : connections.all()) {
      if (c.principal == null) {
        if (now - c.openedNanos > authWithin && c.isOpen() && c.closeCode == 0) {
          c.error(null, "unauthenticated", "no connect frame within the time allowed");
          c.close(Connection.UNAUTHENTICATED, "unauthenticated");
        }
        continue;
      }
      if (!wallClock.isBefore(c.principal.expiresAt())) {
        endAccess(c, InvalidTokenException.Reason.EXPIRED);
        continue;
      }
      long deadline = c.pongDeadlineNanos;
      if (deadline != 0) {
        if (now - deadline > 0 && c.closeCode == 0) {
          c.close(Connection.NO_PONG, "no pong");
          connections.disconnectLater(c);
        }
      } else if (now - c.lastPingNanos >= pingEvery) {
        c.lastPingNanos = now;
        c.pongDeadlineNanos = now + pongWithin;
        c.offer(Frames.PING);
      }
    }
  }

  /**
   * Closes at once every connection {@code r} concerns (4003). Runs on the thread that learned of
   * the revocation (the bus's); only queues close frames.
   */
  void revoked(Revocation r) {
    for (Connection c : connections.all()) {
      Principal p = c.principal;
      if (p != null && r.concerns(p)) {
        endAccess(c, InvalidTokenException.Reason.REVOKED);
      }
    }
  }

  /**
   * Checks every authenticated connection's credential again through {@link Credentials} (cached
   * for {@link Credentials#RECHECK}, so mostly without asking the api): an expired one is closed
   * with 4001, an ended session or revoked key with 4003. When the api cannot answer, the
   * connection is kept and the check counted. Called by its own thread; may block on the api.
   */
  void recheck() {
    for (Connection c : connections.all()) {
      Principal p = c.principal;
      String credential = c.token;
      if (p == null || credential == null || c.closing()) {
        continue;
      }
      try {
        credentials.authenticateCredential(credential);
      } catch (InvalidTokenException e) {
        endAccess(c, e.reason());
      } catch (CredentialsUnavailableException e) {
        metrics.credentialsUnavailable.add(1);
      }
    }
  }

  /** Closes {@code c} because its credential stopped being valid (once). */
  private void endAccess(Connection c, InvalidTokenException.Reason reason) {
    if (c.closing()) {
      return;
    }
    boolean expired = reason == InvalidTokenException.Reason.EXPIRED;
    metrics.credentialsClosed(expired ? "expired" : "revoked");
    if (expired) {
      c.error(null, "unauthenticated", "the token expired; connect again with a fresh one");
      c.close(Connection.UNAUTHENTICATED, "token expired");
    } else {
      c.error(null, "revoked", "the session was ended or the API key revoked");
      c.close(Connection.REVOKED, "revoked");
    }
    connections.disconnectLater(c);
  }
}
