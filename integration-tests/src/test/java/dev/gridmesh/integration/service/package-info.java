/** The agent as a service facing bad operators' input: unprivileged users, unusable state dirs. */
package dev.gridmesh.integration.service;
