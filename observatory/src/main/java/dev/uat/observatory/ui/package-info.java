/**
 * The observatory's web UI (plain HTML, CSS and JavaScript served from the jar: no build step) and
 * the JSON endpoints it reads ({@code /api/ui/*}, {@code /api/alerts}), plus the token check that
 * guards the query port when it is not bound to loopback.
 */
package dev.uat.observatory.ui;
