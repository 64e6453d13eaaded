/**
 * The command line and the process lifecycle. Each role command ({@code standalone} today) resolves the
 * configuration from {@code --config}, the environment and {@code --set}, then hands a
 * {@link io.danmaku.server.role.Role} to {@link io.danmaku.server.cli.RoleRunner}, which starts the admin server
 * and the role, marks the process ready and, on SIGTERM or SIGINT, drains it. Exit status: 0 after a clean
 * shutdown, 1 when the role failed to start, 2 for a bad command line or configuration.
 */
package io.danmaku.server.cli;
