/** Running as a systemd service: sd_notify(3) readiness, status and watchdog messages over NOTIFY_SOCKET. */
package dev.gridmesh.cli.service;
