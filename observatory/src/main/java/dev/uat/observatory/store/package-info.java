/**
 * Where spans are kept: a write role ({@link dev.uat.observatory.store.SpanConsumer}) and a read
 * role ({@link dev.uat.observatory.store.SpanStore}) under one {@link
 * dev.uat.observatory.store.Storage}, with the bounded in-memory implementation {@link
 * dev.uat.observatory.store.InMemoryStorage}.
 *
 * <p>Every implementation runs the same contract tests (the abstract {@code SpanStoreContractTest}
 * in this module's tests).
 */
package dev.uat.observatory.store;
