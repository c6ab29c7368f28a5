/**
 * What happens to spans after a receiver decoded them: admission control for the receivers ({@link
 * dev.uat.observatory.ingest.Pipeline#admit}), the synchronous hand-over to the store, and the
 * bounded hand-over to everything derived from spans (RED metrics, GenAI statistics) and to the
 * on-disk journal, each dropping and counting what does not fit rather than slowing the sender.
 */
package dev.uat.observatory.ingest;
