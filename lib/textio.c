/* textio.c - plain/gzip/zstd text input with line numbers. */
#define _GNU_SOURCE
#include "textio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define RAW_BYTES (256 * 1024)
#define LINE_BYTES (256 * 1024)

struct cp_input {
	int fd, own_fd;
	char *name;
	cp_compression comp;
	/* compressed (or plain) bytes from the descriptor */
	unsigned char *raw;
	size_t raw_pos, raw_len;
	int raw_eof;
	z_stream z;
	int z_ready, z_done;
	int z_fed;		/* zstd: some input went to the decoder */
	ZSTD_DCtx *zd;
	/* decompressed bytes for the line reader */
	char *buf;
	size_t buf_pos, buf_len, buf_cap;
	int eof;
	size_t lineno;
	size_t bytes;
};

static int raw_fill(cp_input *in, cp_error *err)
{
	if (in->raw_pos < in->raw_len || in->raw_eof)
		return 0;
	in->raw_pos = in->raw_len = 0;
	for (;;) {
		ssize_t n = read(in->fd, in->raw, RAW_BYTES);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cp_error_errno(err, in->name);
		}
		if (n == 0)
			in->raw_eof = 1;
		in->raw_len = (size_t)n;
		return 0;
	}
}

cp_input *cp_input_open(const char *path, cp_error *err)
{
	cp_input *in = calloc(1, sizeof *in);

	if (!in) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	in->fd = -1;
	in->name = strdup(cp_path_name(path));
	in->raw = malloc(RAW_BYTES);
	in->buf_cap = LINE_BYTES;
	in->buf = malloc(in->buf_cap + 1);
	if (!in->name || !in->raw || !in->buf) {
		cp_error_set(err, "out of memory");
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else {
		in->fd = open(path, O_RDONLY);
		if (in->fd < 0) {
			cp_error_errno(err, path);
			goto fail;
		}
		in->own_fd = 1;
	}
	cp_inputs_note(in->fd, in->own_fd ? path : NULL);
	/* Look at the first bytes to recognise the compression. */
	while (in->raw_len < 4 && !in->raw_eof) {
		ssize_t n = read(in->fd, in->raw + in->raw_len, RAW_BYTES - in->raw_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			cp_error_errno(err, in->name);
			goto fail;
		}
		if (n == 0)
			in->raw_eof = 1;
		in->raw_len += (size_t)n;
	}
	if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->comp = CP_GZIP;
		if (inflateInit2(&in->z, 15 + 32) != Z_OK) {
			cp_error_set(err, "%s: zlib initialisation failed", in->name);
			goto fail;
		}
		in->z_ready = 1;
	} else if (in->raw_len >= 4 && ((in->raw[0] == 0x28 && in->raw[1] == 0xb5 &&
					  in->raw[2] == 0x2f && in->raw[3] == 0xfd) ||
					 /* a skippable frame first, as pzstd writes */
					 ((in->raw[0] & 0xf0) == 0x50 && in->raw[1] == 0x2a &&
					  in->raw[2] == 0x4d && in->raw[3] == 0x18))) {
		in->comp = CP_ZSTD;
		in->zd = ZSTD_createDCtx();
		if (!in->zd) {
			cp_error_set(err, "out of memory");
			goto fail;
		}
	}
	return in;
fail:
	cp_input_close(in);
	return NULL;
}

void cp_input_close(cp_input *in)
{
	if (!in)
		return;
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	if (in->z_ready)
		inflateEnd(&in->z);
	ZSTD_freeDCtx(in->zd);
	free(in->raw);
	free(in->buf);
	free(in->name);
	free(in);
}

const char *cp_input_name(const cp_input *in)
{
	return in->name;
}

cp_compression cp_input_compression(const cp_input *in)
{
	return in->comp;
}

size_t cp_input_lineno(const cp_input *in)
{
	return in->lineno;
}

size_t cp_input_bytes(const cp_input *in)
{
	return in->bytes;
}

ssize_t cp_input_read(cp_input *in, void *buf, size_t n, cp_error *err)
{
	for (;;) {
		if (raw_fill(in, err) < 0)
			return -1;
		if (in->comp == CP_PLAIN) {
			size_t take = in->raw_len - in->raw_pos;

			if (take > n)
				take = n;
			memcpy(buf, in->raw + in->raw_pos, take);
			in->raw_pos += take;
			in->bytes += take;
			return (ssize_t)take;
		}
		if (in->comp == CP_GZIP) {
			int rc;

			if (in->raw_pos == in->raw_len) {
				if (!in->z_done)
					return cp_error_set(err, "%s: truncated gzip data", in->name);
				return 0;
			}
			if (in->z_done) {
				/* Another gzip member follows (as gzip -d accepts). */
				inflateReset(&in->z);
				in->z_done = 0;
			}
			in->z.next_in = in->raw + in->raw_pos;
			in->z.avail_in = (uInt)(in->raw_len - in->raw_pos);
			in->z.next_out = buf;
			in->z.avail_out = (uInt)(n > 1u << 30 ? 1u << 30 : n);
			rc = inflate(&in->z, Z_NO_FLUSH);
			in->raw_pos = in->raw_len - in->z.avail_in;
			if (rc == Z_STREAM_END)
				in->z_done = 1;
			else if (rc != Z_OK && rc != Z_BUF_ERROR)
				return cp_error_set(err, "%s: corrupt gzip data (%s)", in->name,
						    in->z.msg ? in->z.msg : "inflate failed");
			size_t got = (size_t)((unsigned char *)in->z.next_out - (unsigned char *)buf);

			if (got) {
				in->bytes += got;
				return (ssize_t)got;
			}
			continue;
		}
		/* zstd */
		if (in->raw_pos == in->raw_len) {
			if (!in->z_done && in->z_fed)
				return cp_error_set(err, "%s: truncated zstd data", in->name);
			return 0;
		}
		ZSTD_inBuffer zin = { in->raw, in->raw_len, in->raw_pos };
		ZSTD_outBuffer zout = { buf, n, 0 };
		size_t rc = ZSTD_decompressStream(in->zd, &zout, &zin);

		in->z_fed = 1;
		in->raw_pos = zin.pos;
		if (ZSTD_isError(rc) && ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation)
			return cp_error_set(err, "%s: out of memory decompressing", in->name);
		if (ZSTD_isError(rc))
			return cp_error_set(err, "%s: corrupt zstd data (%s)", in->name,
					    ZSTD_getErrorName(rc));
		in->z_done = rc == 0;
		if (zout.pos) {
			in->bytes += zout.pos;
			return (ssize_t)zout.pos;
		}
	}
}

int cp_input_getline(cp_input *in, char **line, size_t *len, cp_error *err)
{
	for (;;) {
		char *start = in->buf + in->buf_pos;
		char *nl = memchr(start, '\n', in->buf_len - in->buf_pos);

		if (nl || (in->eof && in->buf_pos < in->buf_len)) {
			size_t n = nl ? (size_t)(nl - start) : in->buf_len - in->buf_pos;

			in->buf_pos += n + (nl ? 1 : 0);
			if (n && start[n - 1] == '\r')
				n--;
			start[n] = '\0';
			if (in->lineno++ == 0 && n >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
				start += 3;	/* a UTF-8 byte order mark */
				n -= 3;
			}
			if (memchr(start, '\0', n))
				return cp_error_set(err, "%s:%zu: a NUL byte: binary input?", in->name,
						    in->lineno);
			*line = start;
			*len = n;
			return 1;
		}
		if (in->eof)
			return 0;
		/* Move the partial line to the front, grow if needed, read more. */
		if (in->buf_pos) {
			memmove(in->buf, in->buf + in->buf_pos, in->buf_len - in->buf_pos);
			in->buf_len -= in->buf_pos;
			in->buf_pos = 0;
		}
		if (in->buf_len == in->buf_cap) {
			size_t cap;
			char *p;

			if (cp_mul_size(in->buf_cap, 2, &cap) < 0 || cap > ((size_t)1 << 31))
				return cp_error_set(err, "%s:%zu: line longer than 1 GiB", in->name,
						    in->lineno + 1);
			p = realloc(in->buf, cap + 1);
			if (!p)
				return cp_error_set(err, "out of memory");
			in->buf = p;
			in->buf_cap = cap;
		}
		ssize_t got = cp_input_read(in, in->buf + in->buf_len, in->buf_cap - in->buf_len, err);

		if (got < 0)
			return -1;
		if (got == 0)
			in->eof = 1;
		in->buf_len += (size_t)got;
		in->buf[in->buf_len] = '\0';
	}
}

size_t cp_split(char *line, char delim, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *d = n + 1 < max ? strchr(p, delim) : NULL;

		if (n < max)
			fields[n] = p;
		n++;
		if (!d) {
			/* count the remaining fields without splitting */
			if (n >= max)
				for (char *q = p; (q = strchr(q, delim)); q++)
					n++;
			return n;
		}
		*d = '\0';
		p = d + 1;
	}
}

size_t cp_split_ws(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n < max)
			fields[n] = p;
		n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (!*p)
			return n;
		if (n <= max)
			*p++ = '\0';
		else
			p++;
	}
}
