/*
 * cli.h - what every cellpipe tool shares: its name in messages, the
 * command line recorded in stream headers, verbosity, progress lines on a
 * terminal and the resource line at the end of a run.
 *
 * Conventions (see STYLE): data on stdout, messages on stderr prefixed
 * with the tool name; exit 0 ok, 1 data error, 2 usage error.
 */
#ifndef CP_CLI_H
#define CP_CLI_H

#include <stdio.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLI_OK = 0, CLI_DATA_ERROR = 1, CLI_USAGE_ERROR = 2 };

/* Record the tool name and command line; install the handlers that
 * remove temporary outputs on SIGINT/SIGTERM. */
void cli_init(const char *tool, int argc, char **argv);
const char *cli_tool(void);
const char *cli_command(void);		/* shell-quoted command line */
const char *cli_producer(void);		/* "tool 0.1.0" */

/* 0 = quiet (-q), 1 = normal, 2 = verbose (-v), 3 = debug (-vv). */
extern int cli_verbosity;

/* Leave now with status, standard output checked and flushed as at exit,
 * without the libraries' exit handlers: for a program whose OpenBLAS may
 * hold a thread that never ends (cp_blas_check_limit), which its exit
 * handler would wait for. */
void cli_quit(int status) CP_NORETURN;
/* "tool: message" on stderr. */
void cli_error(const char *fmt, ...) CP_PRINTF(1, 2);
/* Printed when cli_verbosity >= level. */
void cli_info(int level, const char *fmt, ...) CP_PRINTF(2, 3);
/* Print an error from the library: "tool: <err->msg>". */
void cli_report(const cp_error *err);

/* A progress line on stderr, rewritten in place, only when stderr is a
 * terminal and not quiet, and at most ten times a second (a call sooner
 * than 0.1 s after the last drawn one is dropped).  cli_progress_done()
 * clears it. */
void cli_progress(const char *fmt, ...) CP_PRINTF(1, 2);
void cli_progress_done(void);

/* "tool: 1.23 s wall, 1.10 s CPU, peak RSS 12.3 MiB" at verbosity >= level. */
void cli_resources(int level);
/* Seconds since cli_init, monotonic. */
double cli_elapsed(void);
/* Peak resident set size in bytes. */
size_t cli_peak_rss(void);

/* "tool (cellpipe) 0.1.0" on stdout. */
void cli_print_version(void);
/* Whether path is "-" or names a pipe or socket (a FIFO, /dev/fd/N of a
 * shell's process substitution): an input that can be read only once. */
int cli_read_once(const char *path);
/* A tool that writes a binary stream to path ("-" or NULL: standard
 * output) calls this before any work: a terminal there, or an empty
 * name, is a usage error (one line, exit 2). */
void cli_binary_output(const char *path);

#ifdef __cplusplus
}
#endif

#endif
