package dev.uat.web;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a service believes about the network in front of it: which peers are proxies whose {@code
 * X-Forwarded-For} is true ({@code trusted-proxies}), and which peers may read {@code /metrics}
 * ({@code metrics-allow}). Both default to loopback: in the all-in-one the edge is the components'
 * proxy on 127.0.0.1, and nginx on the same host is the edge's. Immutable.
 */
public record Exposure(List<Cidr> trustedProxies, List<Cidr> metricsAllow) {
  /** Most {@code X-Forwarded-For} hops looked at; further ones are ignored. */
  public static final int MAX_FORWARDED_HOPS = 16;

  public static final String LOOPBACK_BLOCKS = "127.0.0.0/8,::1";

  /** Loopback proxies trusted, {@code /metrics} for loopback peers only. */
  public static final Exposure LOOPBACK =
      new Exposure(Cidr.parseList(LOOPBACK_BLOCKS), Cidr.parseList(LOOPBACK_BLOCKS));

  public Exposure {
    trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies"));
    metricsAllow = List.copyOf(requireNonNull(metricsAllow, "metricsAllow"));
  }

  /** From the settings' comma-separated CIDR lists (blank: nobody). */
  public static Exposure of(String trustedProxies, String metricsAllow) {
    return new Exposure(Cidr.parseList(trustedProxies), Cidr.parseList(metricsAllow));
  }

  public boolean trusted(String address) {
    return inAny(trustedProxies, address);
  }

  public boolean metricsAllowed(String peer) {
    return inAny(metricsAllow, peer);
  }

  /**
   * The client's address. A peer that is not a trusted proxy is the client, whatever it claims.
   * From a trusted peer, {@code X-Forwarded-For} is read from the right: the first hop that is not
   * itself a trusted proxy is the client (the hops left of it are whatever that client wrote). A
   * hop that is not an IP literal ends the walk at the last trusted address.
   *
   * @param peer the TCP peer's address
   * @param forwardedFor the {@code X-Forwarded-For} header, or null
   */
  public String clientAddress(String peer, String forwardedFor) {
    if (forwardedFor == null || forwardedFor.isBlank() || !trusted(peer)) {
      return peer;
    }
    String client = peer;
    int end = forwardedFor.length();
    for (int hops = 0; hops < MAX_FORWARDED_HOPS && end > 0; hops++) {
      int comma = forwardedFor.lastIndexOf(',', end - 1);
      String hop = forwardedFor.substring(comma + 1, end).trim();
      end = comma < 0 ? 0 : comma;
      if (Cidr.literal(hop).isEmpty()) {
        return client;
      }
      client = hop;
      if (!trusted(hop)) {
        return hop;
      }
    }
    return client;
  }

  private static boolean inAny(List<Cidr> blocks, String address) {
    if (address == null || blocks.isEmpty()) {
      return false;
    }
    var bytes = Cidr.literal(address);
    if (bytes.isEmpty()) {
      return false;
    }
    for (Cidr c : blocks) {
      if (c.contains(bytes.get())) {
        return true;
      }
    }
    return false;
  }
}
