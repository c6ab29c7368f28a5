package dev.uat.router.provider;

import java.net.URI;
import java.util.Optional;
import okhttp3.Call;

/** What the HTTP providers share: their name, their upstream and its timeouts. Thread-safe. */
abstract class HttpProvider implements Provider {
  private final String name;
  final UpstreamHttp http;
  final Timeouts timeouts;

  /**
   * @param baseUrl the upstream's base URL
   * @param apiKey the bearer token, or null for none
   * @param client the (traced) HTTP client to call with
   * @param timeouts how long calls may take
   */
  HttpProvider(String name, String baseUrl, String apiKey, Call.Factory client, Timeouts timeouts) {
    this.name = name;
    this.http = new UpstreamHttp(name, UpstreamHttp.baseUri(baseUrl), client, apiKey);
    this.timeouts = timeouts;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Optional<URI> endpoint() {
    return Optional.of(http.base());
  }

  /** The upstream answered something this provider cannot read. */
  final ProviderException invalid(String message) {
    return http.fail(ProviderException.Kind.FAILED, "invalid_response", message, null);
  }
}
