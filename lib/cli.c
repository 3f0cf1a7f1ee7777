/* cli.c - shared tool plumbing: names, messages, progress, resources. */
#define _GNU_SOURCE
#include "cli.h"
#include "cpz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int cli_verbosity = 1;

static const char *tool_name = "cellpipe";
static char *command_line;
static char producer[128];
static double t_start;
static int progress_shown;
static int progress_tty = -1;	/* standard error is a terminal; -1 not yet asked */
static double progress_at = -1;	/* when the line was last drawn */
static int error_shown;		/* cli_error has printed a message */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Quote an argument for a POSIX shell when it needs it. */
static void append_arg(cp_buf *b, const char *arg)
{
	int plain = *arg != '\0';

	for (const char *p = arg; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "-_./=:,+@%", *p))
			plain = 0;
	if (plain) {
		cp_buf_append(b, arg, strlen(arg), NULL);
		return;
	}
	cp_buf_append(b, "'", 1, NULL);
	for (const char *p = arg; *p; p++) {
		if (*p == '\'')
			cp_buf_append(b, "'\\''", 4, NULL);
		else
			cp_buf_append(b, p, 1, NULL);
	}
	cp_buf_append(b, "'", 1, NULL);
}

/* A program started with standard input, output or error closed would
 * have its first open file take that number, and what it writes to
 * standard output or error would land in that file.  Each closed one is
 * opened on /dev/null the other way round (input for writing, outputs for
 * reading), so the number is taken and using it still fails. */
static void hold_std_fds(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int got = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);

			if (got >= 0 && got != fd)
				close(got);
		}
}

/* At exit: what standard output could not take is an error (a full disk,
 * a closed descriptor), unless one was reported already. */
static void close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (failed && !error_shown) {
		cli_error("standard output: %s", strerror(e));
		fflush(stderr);
		_exit(CLI_DATA_ERROR);
	}
}

void cli_quit(int status)
{
	close_stdout();
	fflush(stderr);
	_exit(status);
}

void cli_init(const char *tool, int argc, char **argv)
{
	cp_buf b = { 0 };
	static int registered;

	hold_std_fds();
	if (!registered && atexit(close_stdout) == 0)
		registered = 1;

	tool_name = tool;
	t_start = now();
	snprintf(producer, sizeof producer, "%s %s", tool, CELLPIPE_VERSION);
	for (int i = 0; i < argc; i++) {
		if (i)
			cp_buf_append(&b, " ", 1, NULL);
		append_arg(&b, i == 0 ? tool : argv[i]);
	}
	free(command_line);
	command_line = b.data;
	if (argc > 0)
		argv[0] = (char *)tool;	/* getopt's messages name the tool, not its path */
	cp_tmp_install_signal_handlers();
	{
		cp_error err;
		int asks_help = 0;

		/* help and the version are given whatever the environment; a
		 * stream opened later checks it again */
		for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
			asks_help |= strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
				     strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0;
		if (!asks_help && cpz_env_check(&err) < 0) {
			cli_error("%s", err.msg);
			exit(CLI_USAGE_ERROR);
		}
	}
}

const char *cli_tool(void)
{
	return tool_name;
}

const char *cli_command(void)
{
	return command_line ? command_line : tool_name;
}

const char *cli_producer(void)
{
	if (!producer[0])
		snprintf(producer, sizeof producer, "%s %s", tool_name, CELLPIPE_VERSION);
	return producer;
}

static void clear_progress(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

/* One line: "tool: message", control characters in the message (a
 * newline in a value quoted from the command line or a file) written as
 * escapes. */
static void vmessage(const char *fmt, va_list ap)
{
	char small[512], *text = small;
	va_list aq;
	int n;

	clear_progress();
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)))
		vsnprintf(text, (size_t)n + 1, fmt, ap);
	if (!text)
		text = small;
	fprintf(stderr, "%s: ", tool_name);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '\n')
			fputs("\\n", stderr);
		else if (*c == '\r')
			fputs("\\r", stderr);
		else if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			fprintf(stderr, "\\x%02x", *c);
		else
			fputc(*c, stderr);
	}
	fputc('\n', stderr);
	if (text != small)
		free(text);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	error_shown = 1;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void cli_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (cli_verbosity < level)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void cli_report(const cp_error *err)
{
	cli_error("%s", err->msg[0] ? err->msg : "unknown error");
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	double t;

	if (cli_verbosity < 1)
		return;
	if (progress_tty < 0)
		progress_tty = isatty(STDERR_FILENO);
	/* at most ten redraws a second: a fast loop reports far more often */
	if (!progress_tty || (t = now(), progress_at >= 0 && t - progress_at < 0.1))
		return;
	progress_at = t;
	fprintf(stderr, "\r%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	progress_shown = 1;
}

void cli_progress_done(void)
{
	clear_progress();
}

double cli_elapsed(void)
{
	return now() - t_start;
}

size_t cli_peak_rss(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (size_t)ru.ru_maxrss * 1024;	/* Linux reports KiB */
}

void cli_resources(int level)
{
	struct rusage ru;
	double cpu = 0;

	if (cli_verbosity < level)
		return;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	cli_info(level, "%.2f s wall, %.2f s CPU, peak RSS %.1f MiB", cli_elapsed(), cpu,
		 (double)cli_peak_rss() / (1024.0 * 1024.0));
}

void cli_print_version(void)
{
	printf("%s (cellpipe) %s\n", tool_name, CELLPIPE_VERSION);
}

int cli_read_once(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 1;
	return stat(path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

void cli_binary_output(const char *path)
{
	struct stat st;
	int tty = 0;

	if (path && !*path) {
		cli_error("an output file name is empty");
		cli_quit(CLI_USAGE_ERROR);
	}
	if (!path || strcmp(path, "-") == 0) {
		tty = isatty(STDOUT_FILENO);
		path = "<stdout>";
	} else if (stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
		int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			tty = isatty(fd);
			close(fd);
		}
	}
	if (tty) {
		cli_error("%s: refusing to write binary data to a terminal; use -o FILE or a pipe",
			  path);
		cli_quit(CLI_USAGE_ERROR);
	}
}
