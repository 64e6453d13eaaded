/**
 * Helpers of the logic tier that other modules must not use: throttled logging for hot-path failures.
 */
package io.danmaku.logic.internal;
