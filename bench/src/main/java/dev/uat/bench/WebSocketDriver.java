package dev.uat.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client side of {@link RealtimeLoad}: one NIO selector thread speaking the WebSocket protocol
 * itself, so that 10,000 clients cost the driver little, and a growable array of latencies.
 */
final class WebSocketDriver {
  private WebSocketDriver() {}

  static final class Longs {
    private long[] a = new long[1 << 16];
    private int n;

    synchronized void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    synchronized void clear() {
      n = 0;
    }

    synchronized long[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  /** Many WebSocket clients on one selector thread. */
  static final class Driver implements AutoCloseable {
    private static final byte[] MASK = {0x12, 0x34, 0x56, 0x78};

    private final int port;
    private final Selector selector;
    private final List<Client> clients = new ArrayList<>();
    final Longs latencies = new Longs();
    volatile long received;

    Driver(int port) throws IOException {
      this.port = port;
      this.selector = Selector.open();
    }

    private final class Client {
      final SocketChannel ch;
      final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
      final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
      boolean upgraded;
      String waitingFor;
      boolean done;
      final String first;

      Client(SocketChannel ch, String first, String waitingFor) {
        this.ch = ch;
        this.first = first;
        this.waitingFor = waitingFor;
      }
    }

    interface FirstFrame {
      String frame(int index);
    }

    /**
     * Opens {@code n} connections, at most 32 in progress at once (the server's accept backlog is
     * 50); each sends its first frame.
     */
    void open(int n, FirstFrame first, String reply) throws IOException {
      int started = 0;
      int pendingDone = 0;
      int done = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (done < n) {
        while (started < n && started - done < 32) {
          SocketChannel ch = SocketChannel.open();
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
          Client c = new Client(ch, first.frame(started), reply);
          clients.add(c);
          ch.register(selector, SelectionKey.OP_CONNECT, c);
          started++;
        }
        pump(50);
        pendingDone = 0;
        for (int i = done; i < clients.size(); i++) {
          if (clients.get(i).done) {
            pendingDone++;
          } else {
            break;
          }
        }
        done += pendingDone;
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + done + " of " + n + " connections opened");
        }
      }
    }

    void subscribe(String channel, int n) throws IOException {
      for (int i = 0; i < n; i++) {
        Client c = clients.get(i);
        c.done = false;
        c.waitingFor = "subscribed";
        send(c, "{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}");
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (true) {
        pump(50);
        boolean all = true;
        for (int i = 0; i < n; i++) {
          all &= clients.get(i).done;
        }
        if (all) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("subscriptions did not complete");
        }
      }
    }

    /** Unsubscribes the first {@code n} clients (those {@link #subscribe} subscribed). */
    void unsubscribe(String channel, int n) throws IOException {
      for (int i = 0; i < n; i++) {
        send(clients.get(i), "{\"type\":\"unsubscribe\",\"channel\":\"" + channel + "\"}");
      }
      pump(200);
    }

    void awaitEvents(long n, Duration max) throws IOException {
      long deadline = System.nanoTime() + max.toNanos();
      while (received < n) {
        pump(20);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("only " + received + " of " + n + " events arrived");
        }
      }
    }

    void closeAll() throws IOException {
      for (Client c : clients) {
        c.ch.close();
      }
      clients.clear();
      selector.selectNow();
    }

    private void pump(long millis) throws IOException {
      selector.select(millis);
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey k = keys.next();
        keys.remove();
        Client c = (Client) k.attachment();
        try {
          if (k.isConnectable() && c.ch.finishConnect()) {
            String handshake =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:"
                    + port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            c.out.add(ByteBuffer.wrap(handshake.getBytes(StandardCharsets.US_ASCII)));
            k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          }
          if (k.isValid() && k.isWritable()) {
            flush(c, k);
          }
          if (k.isValid() && k.isReadable()) {
            read(c, k);
          }
        } catch (IOException e) {
          k.cancel();
          c.ch.close();
        }
      }
    }

    private void flush(Client c, SelectionKey k) throws IOException {
      while (!c.out.isEmpty()) {
        ByteBuffer b = c.out.peek();
        c.ch.write(b);
        if (b.hasRemaining()) {
          k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          return;
        }
        c.out.poll();
      }
      k.interestOps(SelectionKey.OP_READ);
    }

    private void send(Client c, String text) throws IOException {
      c.out.add(frame(text));
      SelectionKey k = c.ch.keyFor(selector);
      if (k != null && k.isValid()) {
        flush(c, k);
      }
    }

    private static ByteBuffer frame(String text) {
      byte[] p = text.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(p.length + 8);
      b.put((byte) 0x81);
      if (p.length < 126) {
        b.put((byte) (0x80 | p.length));
      } else {
        b.put((byte) (0x80 | 126));
        b.putShort((short) p.length);
      }
      b.put(MASK);
      for (int i = 0; i < p.length; i++) {
        b.put((byte) (p[i] ^ MASK[i & 3]));
      }
      return b.flip();
    }

    private void read(Client c, SelectionKey k) throws IOException {
      int n = c.ch.read(c.in);
      if (n < 0) {
        k.cancel();
        c.ch.close();
        return;
      }
      c.in.flip();
      if (!c.upgraded) {
        int end = indexOf(c.in, "\r\n\r\n");
        if (end < 0) {
          c.in.compact();
          return;
        }
        c.in.position(end + 4);
        c.upgraded = true;
        send(c, c.first);
      }
      while (c.in.remaining() >= 2) {
        int start = c.in.position();
        int b1 = c.in.get(start + 1) & 0x7f;
        int header = 2;
        long length = b1;
        if (b1 == 126) {
          if (c.in.remaining() < 4) {
            break;
          }
          length = c.in.getShort(start + 2) & 0xffff;
          header = 4;
        } else if (b1 == 127) {
          if (c.in.remaining() < 10) {
            break;
          }
          length = c.in.getLong(start + 2);
          header = 10;
        }
        if (c.in.remaining() < header + length) {
          break;
        }
        int from = start + header;
        int to = (int) (from + length);
        c.in.position(to);
        long t = eventTime(c.in, from, to);
        if (t > 0) {
          // an event: only its publish time is read, without building a string
          latencies.add(RealtimeLoadServer.micros() - t);
          received++;
          continue;
        }
        byte[] payload = new byte[(int) length];
        c.in.get(from, payload);
        onFrame(c, c.in.get(start) & 0x0f, new String(payload, StandardCharsets.UTF_8));
      }
      c.in.compact();
    }

    private void onFrame(Client c, int opcode, String text) throws IOException {
      if (opcode != 1) {
        return;
      }
      if (text.equals("{\"type\":\"ping\"}")) {
        send(c, "{\"type\":\"pong\"}");
      } else if (c.waitingFor != null && text.contains("\"" + c.waitingFor + "\"")) {
        c.done = true;
      } else if (text.contains("\"error\"")) {
        System.err.println("error frame: " + text);
      }
    }

    private static final byte[] EVENT = "{\"type\":\"event\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TIME = "\"t\":".getBytes(StandardCharsets.US_ASCII);

    /** The {@code "t"} of an event frame in {@code b[from, to)}, or -1 for other frames. */
    private static long eventTime(ByteBuffer b, int from, int to) {
      if (to - from < EVENT.length) {
        return -1;
      }
      for (int i = 0; i < EVENT.length; i++) {
        if (b.get(from + i) != EVENT[i]) {
          return -1;
        }
      }
      outer:
      for (int i = from + EVENT.length; i <= to - TIME.length; i++) {
        for (int j = 0; j < TIME.length; j++) {
          if (b.get(i + j) != TIME[j]) {
            continue outer;
          }
        }
        long v = 0;
        for (int k = i + TIME.length; k < to; k++) {
          byte d = b.get(k);
          if (d < '0' || d > '9') {
            break;
          }
          v = v * 10 + (d - '0');
        }
        return v;
      }
      return -1;
    }

    private static int indexOf(ByteBuffer b, String s) {
      byte[] needle = s.getBytes(StandardCharsets.US_ASCII);
      outer:
      for (int i = b.position(); i <= b.limit() - needle.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (b.get(i + j) != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    @Override
    public void close() throws IOException {
      closeAll();
      selector.close();
    }
  }
}
