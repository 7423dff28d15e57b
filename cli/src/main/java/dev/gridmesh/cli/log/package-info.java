/** Logging set-up for the CLI process: Logback to stderr, {@code --debug}, journald-friendly lines. */
package dev.gridmesh.cli.log;
