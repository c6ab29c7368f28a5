package dev.uat.router;

import dev.uat.router.provider.ProviderException;
import dev.uat.web.HttpError;

/** Upstream failures as the answers a caller can act on; never a 200 with invented text. */
final class UpstreamErrors {
  private UpstreamErrors() {}

  /** A {@link ProviderException} mapped by its kind; an {@link HttpError} as it is. */
  static HttpError toHttpError(RuntimeException failure) {
    if (failure instanceof HttpError e) {
      return e;
    }
    if (failure instanceof ProviderException e) {
      return toHttpError(e);
    }
    throw failure;
  }

  static HttpError toHttpError(ProviderException e) {
    return switch (e.kind()) {
      case MODEL_NOT_FOUND -> new HttpError(404, "model_not_found", e.getMessage());
      case REJECTED ->
          new HttpError(
              400,
              "unsupported".equals(e.errorType()) ? "unsupported" : "upstream_rejected",
              e.getMessage());
      case UNAVAILABLE -> new HttpError(503, "provider_unavailable", e.getMessage());
      case TIMEOUT -> new HttpError(504, "upstream_timeout", e.getMessage());
      case RATE_LIMITED ->
          new HttpError(
              429,
              "upstream_rate_limited",
              e.getMessage(),
              e.retryAfterSeconds() > 0 ? e.retryAfterSeconds() : 1);
      case FAILED -> new HttpError(502, "upstream_error", e.getMessage());
    };
  }
}
