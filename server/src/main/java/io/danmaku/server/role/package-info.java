/**
 * Roles: what one {@code danmaku} process runs. A {@link io.danmaku.server.role.Role} builds its tiers from the
 * resolved configuration, starts them, and drains them on close; {@link io.danmaku.server.role.StandaloneRole} runs
 * the gateway, logic and storage tiers in one JVM with the in-memory bus and store.
 */
package io.danmaku.server.role;
