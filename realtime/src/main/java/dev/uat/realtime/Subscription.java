package dev.uat.realtime;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection's membership of one channel. While it is being set up (its position read, missed
 * events recovered), live events are held back here and released after the recovered ones, without
 * duplicates: the hub's delivery thread alone touches {@link #deliver} and {@link #go}.
 */
final class Subscription {
  /** Acknowledgements a connection may owe on one channel; older ones are forgotten. */
  static final int MAX_AWAITED_ACKS = 64;

  final Connection connection;
  final String channel;

  // delivery thread only
  private boolean live;
  private List<Held> held;
  private long heldBytes;
  private long lastOffset;
  private String epoch = "";

  // acknowledgements: guarded by this
  private final ArrayDeque<Awaited> awaited = new ArrayDeque<>(0);

  private record Held(ByteBuffer frame, long offset, String epoch, Broadcast broadcast) {}

  private record Awaited(long offset, Broadcast broadcast) {}

  Subscription(Connection connection, String channel) {
    this.connection = connection;
    this.channel = channel;
  }

  /**
   * Delivers one broadcast frame, or holds it while the subscription is being set up. Returns
   * whether the frame was handed to the connection.
   */
  boolean deliver(
      ByteBuffer frame, long offset, String epoch, Broadcast broadcast, long maxHeldBytes) {
    if (!live) {
      if (held == null) {
        held = new ArrayList<>();
      }
      heldBytes += frame.remaining();
      if (heldBytes > maxHeldBytes) {
        connection.overflow();
        held.clear();
        return false;
      }
      held.add(new Held(frame, offset, epoch, broadcast));
      return false;
    }
    return send(frame, offset, epoch, broadcast);
  }

  private boolean send(ByteBuffer frame, long offset, String epoch, Broadcast broadcast) {
    if (offset == 0) {
      // unnumbered (published here while Redis was away): no place in the channel's history, so
      // it moves no position and awaits no acknowledgement
      return connection.offer(frame);
    }
    if (!epoch.equals(this.epoch)) {
      this.epoch = epoch; // a new epoch numbers from 1 again
      lastOffset = 0;
    }
    if (offset <= lastOffset) {
      return false; // already sent (recovered)
    }
    lastOffset = offset;
    if (broadcast != null && connection.acks) {
      await(offset, broadcast);
    }
    return connection.offer(frame);
  }

  /**
   * Ends the set-up: {@code after} is the last offset the client has (recovered or reported); what
   * was held back and is newer goes out now, and everything after goes straight through.
   */
  void go(long after, String epoch) {
    this.epoch = epoch;
    lastOffset = after;
    live = true;
    if (held != null) {
      for (Held h : held) {
        send(h.frame, h.offset, h.epoch, h.broadcast);
      }
      held = null;
    }
  }

  private void await(long offset, Broadcast broadcast) {
    Broadcast dropped = null;
    synchronized (this) {
      if (awaited.size() == MAX_AWAITED_ACKS) {
        dropped = awaited.pollFirst().broadcast;
      }
      awaited.addLast(new Awaited(offset, broadcast));
    }
    broadcast.expect();
    if (dropped != null) {
      dropped.release();
    }
  }

  /** The client has everything up to {@code offset}. */
  void acked(long offset, long nowNanos) {
    while (true) {
      Awaited a;
      synchronized (this) {
        a = awaited.peekFirst();
        if (a == null || a.offset > offset) {
          return;
        }
        awaited.pollFirst();
      }
      a.broadcast.acked(connection, nowNanos);
    }
  }

  /** Releases what is still awaited (the subscription ends). */
  void forget() {
    List<Awaited> rest;
    synchronized (this) {
      rest = new ArrayList<>(awaited);
      awaited.clear();
    }
    for (Awaited a : rest) {
      a.broadcast.release();
    }
  }
}
