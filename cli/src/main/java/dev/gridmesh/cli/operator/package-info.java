/** Operator commands around a running agent (peers) and the CLI itself (shell completion). */
package dev.gridmesh.cli.operator;
