/**
 * The observatory's web UI (plain HTML, CSS and JavaScript served from the jar: no build step) and
 * the JSON endpoints it reads ({@code /api/ui/*}, {@code /api/alerts}), plus what guards the query
 * port: the {@code Host} check on loopback ({@link dev.uat.observatory.ui.HostCheck}) and the token
 * elsewhere ({@link dev.uat.observatory.ui.UiAuth}).
 */
package dev.uat.observatory.ui;
