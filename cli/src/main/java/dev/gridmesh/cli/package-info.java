/** The {@code gridmesh} command line: root command, error reporting, and the subcommands' registration. */
package dev.gridmesh.cli;
