package dev.uat.api;

import dev.uat.web.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a conversation's messages in pages whose JSON never passes {@link #MAX_RESPONSE_BYTES},
 * whatever the messages hold: a page is planned on the messages' lengths alone (no content read; at
 * most about {@link #MAX_RESPONSE_BYTES} characters are then read), then each message's JSON is
 * measured exactly and what passes the cap is left for the next page. A page holds the newest
 * messages before the cursor, oldest first; {@code next_cursor} reaches the older ones. A single
 * message longer than the whole cap is sent cut by the database ({@code truncated: true}, {@code
 * content_chars} its full length). Thread-safe; blocking JDBC.
 */
final class ConversationPages {
  /** Largest JSON answer of {@code GET /api/conversations/{id}}, envelope included. */
  static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  static final int DEFAULT_MESSAGES = 100;
  static final int MAX_MESSAGES = 1000;

  /** Kept for the conversation's own fields (title ≤ 80 characters, dates, cursor). */
  static final int ENVELOPE_BYTES = 2048;

  /** A message's fields besides its content, at most (a 200-character model name escaped). */
  static final int MESSAGE_OVERHEAD_BYTES = 1600;

  /** JSON bytes per character, worst case ({@code \\u001f}). */
  static final int WORST_BYTES_PER_CHAR = 6;

  /** Characters of content read at most for one message (the column's size). */
  static final int MAX_CONTENT_CHARS = 1_000_000;

  /** One page: its messages oldest first; the cursor of older ones, or null. */
  record Page(List<ChatRoutes.MessageView> messages, String nextCursor) {}

  private final Store store;
  private final ApiMetrics metrics;

  ConversationPages(Store store, ApiMetrics metrics) {
    this.store = store;
    this.metrics = metrics;
  }

  /** The page of at most {@code limit} messages before {@code cursor} (null: the newest). */
  Page read(String conversationId, String cursor, int limit) throws SQLException {
    long before = cursor == null ? Long.MAX_VALUE : parseCursor(cursor);
    List<Store.MessageSize> sizes = store.messageSizes(conversationId, before, limit + 1);
    if (sizes.isEmpty()) {
      return new Page(List.of(), null);
    }
    long budget = MAX_RESPONSE_BYTES - ENVELOPE_BYTES;
    // 1. plan on lengths alone, at one byte a character: what cannot fit is not read
    int take = 0;
    long planned = 0;
    boolean cutByBytes = false;
    for (; take < Math.min(limit, sizes.size()); take++) {
      long estimate = MESSAGE_OVERHEAD_BYTES + sizes.get(take).chars();
      if (take > 0 && planned + estimate > budget) {
        cutByBytes = true;
        break;
      }
      planned += estimate;
    }
    int maxChars = planned > budget ? (int) (budget - MESSAGE_OVERHEAD_BYTES) : MAX_CONTENT_CHARS;
    List<Store.StoredMessage> rows =
        store.messageRange(
            conversationId,
            sizes.get(take - 1).seq(),
            sizes.getFirst().seq(),
            take + 8, // a message committed late inside the range is measured like the others
            maxChars);
    // 2. measure the JSON exactly (nothing kept), newest first; drop what passes the budget
    List<ChatRoutes.MessageView> views = new ArrayList<>(rows.size());
    for (Store.StoredMessage row : rows) {
      views.add(view(row));
    }
    long total = 0;
    int from = views.size();
    while (from > 0) {
      long bytes = jsonBytes(views.get(from - 1)) + 1;
      if (from < views.size() && total + bytes > budget) {
        cutByBytes = true;
        break;
      }
      total += bytes;
      from--;
    }
    rows = rows.subList(from, rows.size());
    views = views.subList(from, views.size());
    if (total > budget) { // one message, past the cap once escaped: cut it to the worst case
      Store.StoredMessage only = rows.getFirst();
      rows =
          store.messageRange(
              conversationId,
              only.seq(),
              only.seq(),
              1,
              (int) ((budget - MESSAGE_OVERHEAD_BYTES) / WORST_BYTES_PER_CHAR));
      views = List.of(view(rows.getFirst()));
    }
    if (cutByBytes) {
      metrics.hit(ApiMetrics.Limit.CONVERSATION_BYTES);
    }
    if (rows.getFirst().cut()) {
      metrics.hit(ApiMetrics.Limit.MESSAGE_TRUNCATED);
    }
    boolean more = rows.getFirst().seq() > sizes.getLast().seq();
    return new Page(List.copyOf(views), more ? Long.toString(rows.getFirst().seq()) : null);
  }

  /** The size of a value's JSON, written to nowhere. */
  static long jsonBytes(Object value) {
    Counter counter = new Counter();
    try {
      Json.MAPPER.writeValue(counter, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return counter.bytes;
  }

  private static final class Counter extends OutputStream {
    long bytes;

    @Override
    public void write(int b) {
      bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes += len;
    }
  }

  private static ChatRoutes.MessageView view(Store.StoredMessage row) {
    ChatRoutes.MessageView v = ChatRoutes.MessageView.of(row.message());
    return row.cut() ? v.cut(row.contentChars()) : v;
  }

  static long parseCursor(String cursor) {
    if (cursor.isEmpty() || cursor.length() > 19 || !cursor.chars().allMatch(Character::isDigit)) {
      throw dev.uat.web.HttpError.invalid("parameter 'cursor' is not one this API gave out");
    }
    return Long.parseLong(cursor);
  }
}
