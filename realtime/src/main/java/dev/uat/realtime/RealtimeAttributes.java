package dev.uat.realtime;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The {@code uat.realtime.*} attribute keys only realtime writes, in one place. The messaging and
 * user keys, and the realtime keys other modules read, are in {@link
 * dev.uat.telemetry.UatAttributes}.
 */
final class RealtimeAttributes {
  private RealtimeAttributes() {}

  /** Frames a streamed answer went out in (on its CONSUMER span). */
  static final AttributeKey<Long> FRAMES = longKey("uat.realtime.frames");

  /** Events replayed to a subscription that recovered (on its {@code subscribe} span). */
  static final AttributeKey<Long> RECOVERED_COUNT = longKey("uat.realtime.recovered.count");

  /** The error code a subscription was refused with (on its {@code subscribe} span). */
  static final AttributeKey<String> REFUSED = stringKey("uat.realtime.refused");

  /** The connection that acknowledged (on a {@code delivered} span event). */
  static final AttributeKey<String> CONNECTION_ID = stringKey("uat.realtime.connection.id");

  /** The close code of {@code uat.realtime.disconnects}. */
  static final AttributeKey<Long> CLOSE_CODE = longKey("uat.realtime.close_code");

  /** The limit of {@code uat.realtime.limits.refused}. */
  static final AttributeKey<String> LIMIT = stringKey("uat.realtime.limit");

  /** Why connections were closed or events dropped ({@code credentials.closed}, history). */
  static final AttributeKey<String> REASON = stringKey("uat.realtime.reason");
}
