/** TOML config files for the daemons ({@code --config FILE}): every flag as a key, flags on the command line win. */
package dev.gridmesh.cli.config;
