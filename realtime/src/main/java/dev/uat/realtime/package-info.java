/**
 * The realtime service: a WebSocket hub that delivers the platform's events to authenticated
 * subscribers, with recovery, backpressure, token streaming and fan-out across instances through
 * Redis. The public API is {@link dev.uat.realtime.Realtime}, {@link
 * dev.uat.realtime.RealtimeSettings}, {@link dev.uat.realtime.RealtimeEvents} and {@link
 * dev.uat.realtime.RedisEventBus}; everything else is package-private (see RATIONALE.md for where
 * each part of the work happens).
 */
package dev.uat.realtime;
