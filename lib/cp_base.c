/* cp_base.c - errors, checked sizes, hashing, arenas, temporary files. */
#define _GNU_SOURCE
#include "cp_base.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int cp_error_vset(cp_error *err, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	return -1;
}

int cp_error_set(cp_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_error_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

int cp_error_prefix(cp_error *err, const char *fmt, ...)
{
	char prefix[512];
	size_t plen, mlen;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strnlen(err->msg, sizeof err->msg - 1);
	if (plen + 2 + mlen >= sizeof err->msg)
		mlen = sizeof err->msg - 1 - plen - 2;
	memmove(err->msg + plen + 2, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	err->msg[plen + 2 + mlen] = '\0';
	return -1;
}

int cp_error_errno(cp_error *err, const char *what)
{
	return cp_error_set(err, "%s: %s", what, strerror(errno));
}

int cp_mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int cp_add_size(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

void *cp_malloc(size_t n, size_t size, cp_error *err)
{
	size_t total;
	void *p;

	if (cp_mul_size(n, size, &total) < 0) {
		cp_error_set(err, "allocation of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = malloc(total ? total : 1);
	if (!p)
		cp_error_set(err, "out of memory allocating %zu bytes", total);
	return p;
}

void *cp_calloc(size_t n, size_t size, cp_error *err)
{
	size_t total;
	void *p;

	if (cp_mul_size(n, size, &total) < 0) {
		cp_error_set(err, "allocation of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = calloc(total ? n : 1, total ? size : 1);
	if (!p)
		cp_error_set(err, "out of memory allocating %zu bytes", total);
	return p;
}

void *cp_realloc(void *old, size_t n, size_t size, cp_error *err)
{
	size_t total;
	void *p;

	if (cp_mul_size(n, size, &total) < 0) {
		cp_error_set(err, "allocation of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = realloc(old, total ? total : 1);
	if (!p)
		cp_error_set(err, "out of memory allocating %zu bytes", total);
	return p;
}

char *cp_strdup(const char *s, cp_error *err)
{
	char *p = strdup(s);

	if (!p)
		cp_error_set(err, "out of memory copying a string");
	return p;
}

void *cp_aligned_alloc(size_t align, size_t size, cp_error *err)
{
	void *p = NULL;

	if (posix_memalign(&p, align, size ? size : align) != 0) {
		cp_error_set(err, "out of memory allocating %zu bytes", size);
		return NULL;
	}
	return p;
}

void *cp_big_alloc(size_t n, size_t size, int zero, cp_error *err)
{
	size_t bytes, huge = (size_t)2 << 20;
	void *p;

	if (cp_mul_size(n, size, &bytes) < 0 || cp_add_size(bytes, huge - 1, &bytes) < 0) {
		cp_error_set(err, "size overflow allocating %zu x %zu bytes", n, size);
		return NULL;
	}
	bytes = bytes / huge * huge;
	if (!(p = cp_aligned_alloc(huge, bytes ? bytes : huge, err)))
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE);	/* advice only */
#endif
	if (zero)
		memset(p, 0, bytes);
	return p;
}

/* ---- XXH64 ------------------------------------------------------------
 * The algorithm as published in the xxHash specification: four 64-bit
 * lanes over 32-byte stripes, then a merge, the tail and an avalanche. */

#define P64_1 0x9E3779B185EBCA87ULL
#define P64_2 0xC2B2AE3D27D4EB4FULL
#define P64_3 0x165667B19E3779F9ULL
#define P64_4 0x85EBCA77C2B2AE63ULL
#define P64_5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t load32le(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t lane)
{
	acc += lane * P64_2;
	acc = rotl64(acc, 31);
	return acc * P64_1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh_round(0, v);
	return acc * P64_1 + P64_4;
}

void cp_hash64_init(cp_hash64 *h, uint64_t seed)
{
	h->seed = seed;
	h->v[0] = seed + P64_1 + P64_2;
	h->v[1] = seed + P64_2;
	h->v[2] = seed;
	h->v[3] = seed - P64_1;
	h->total = 0;
	h->buflen = 0;
}

static void xxh_stripes(uint64_t v[4], const uint8_t *p, size_t nstripes)
{
	uint64_t a = v[0], b = v[1], c = v[2], d = v[3];

	for (size_t i = 0; i < nstripes; i++, p += 32) {
		a = xxh_round(a, load64le(p));
		b = xxh_round(b, load64le(p + 8));
		c = xxh_round(c, load64le(p + 16));
		d = xxh_round(d, load64le(p + 24));
	}
	v[0] = a, v[1] = b, v[2] = c, v[3] = d;
}

void cp_hash64_update(cp_hash64 *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return;
	h->total += len;
	if (h->buflen) {
		size_t take = 32 - h->buflen;

		if (take > len)
			take = len;
		memcpy(h->buf + h->buflen, p, take);
		h->buflen += take, p += take, len -= take;
		if (h->buflen < 32)
			return;
		xxh_stripes(h->v, h->buf, 1);
		h->buflen = 0;
	}
	if (len >= 32) {
		size_t n = len / 32;

		xxh_stripes(h->v, p, n);
		p += n * 32, len -= n * 32;
	}
	memcpy(h->buf, p, len);
	h->buflen = len;
}

uint64_t cp_hash64_final(const cp_hash64 *h)
{
	const uint8_t *p = h->buf, *end = h->buf + h->buflen;
	uint64_t acc;

	if (h->total >= 32) {
		acc = rotl64(h->v[0], 1) + rotl64(h->v[1], 7) + rotl64(h->v[2], 12) + rotl64(h->v[3], 18);
		for (int i = 0; i < 4; i++)
			acc = xxh_merge(acc, h->v[i]);
	} else {
		acc = h->seed + P64_5;
	}
	acc += h->total;
	for (; p + 8 <= end; p += 8) {
		acc ^= xxh_round(0, load64le(p));
		acc = rotl64(acc, 27) * P64_1 + P64_4;
	}
	if (p + 4 <= end) {
		acc ^= (uint64_t)load32le(p) * P64_1;
		acc = rotl64(acc, 23) * P64_2 + P64_3;
		p += 4;
	}
	for (; p < end; p++) {
		acc ^= (uint64_t)*p * P64_5;
		acc = rotl64(acc, 11) * P64_1;
	}
	acc ^= acc >> 33;
	acc *= P64_2;
	acc ^= acc >> 29;
	acc *= P64_3;
	acc ^= acc >> 32;
	return acc;
}

uint64_t cp_hash64_bytes(const void *data, size_t len, uint64_t seed)
{
	cp_hash64 h;

	cp_hash64_init(&h, seed);
	cp_hash64_update(&h, data, len);
	return cp_hash64_final(&h);
}

/* ---- arena ------------------------------------------------------------ */

#define ARENA_ALIGN 64
#define ARENA_FIRST_BLOCK (64 * 1024)

struct cp_arena_block {
	cp_arena_block *next;
	size_t size, used;
	/* data follows, aligned to ARENA_ALIGN */
};

#define BLOCK_HEADER (((sizeof(cp_arena_block) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

void cp_arena_init(cp_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

static cp_arena_block *arena_new_block(size_t size, cp_error *err)
{
	size_t total;
	cp_arena_block *b;

	if (cp_add_size(size, BLOCK_HEADER, &total) < 0) {
		cp_error_set(err, "arena block of %zu bytes overflows", size);
		return NULL;
	}
	b = cp_aligned_alloc(ARENA_ALIGN, total, err);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *cp_arena_alloc(cp_arena *a, size_t size, cp_error *err)
{
	cp_arena_block *b = a->head;
	size_t rounded;

	if (cp_add_size(size, ARENA_ALIGN - 1, &rounded) < 0) {
		cp_error_set(err, "allocation of %zu bytes overflows", size);
		return NULL;
	}
	rounded &= ~(size_t)(ARENA_ALIGN - 1);
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	if (!b || b->size - b->used < rounded) {
		size_t want = b ? b->size * 2 : ARENA_FIRST_BLOCK;

		if (rounded > want / 4) {
			/* A large request gets its own block, linked behind the
			 * current one so the current block keeps filling. */
			cp_arena_block *big = arena_new_block(rounded, err);

			if (!big)
				return NULL;
			big->used = rounded;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				a->head = big;
			}
			a->total += rounded;
			return (char *)big + BLOCK_HEADER;
		}
		b = arena_new_block(want, err);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b + BLOCK_HEADER + b->used;

	b->used += rounded;
	a->total += rounded;
	return p;
}

char *cp_arena_strndup(cp_arena *a, const char *s, size_t len, cp_error *err)
{
	char *p = cp_arena_alloc(a, len + 1, err);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void cp_arena_reset(cp_arena *a)
{
	cp_arena_block *b = a->head, *keep = NULL;

	/* Keep the largest ordinary block; free the rest. */
	while (b) {
		cp_arena_block *next = b->next;

		if (!keep && b->size <= (size_t)256 * 1024 * 1024) {
			keep = b;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(b);
		}
		b = next;
	}
	a->head = keep;
	a->total = 0;
}

void cp_arena_free(cp_arena *a)
{
	cp_arena_block *b = a->head;

	while (b) {
		cp_arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

/* ---- temporary files ---------------------------------------------------
 * Fixed tables, so the signal handler touches no allocator. */

#define TMP_MAX_FILES 64
#define TMP_MAX_DIRS 8
static char *tmp_paths[TMP_MAX_FILES];
/* a descriptor of each, which holds its lock (cp_tmp_create) from its
 * creation to its rename or removal, past the writer's own close */
static int tmp_locks[TMP_MAX_FILES];
static char *tmp_dirs[TMP_MAX_DIRS];
static volatile sig_atomic_t tmp_handlers_installed;
static const int tmp_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
/* which of them have the handler: not those the program was started with
 * ignored (nohup, a background job of a shell), which stay ignored */
static int tmp_caught[sizeof tmp_signals / sizeof tmp_signals[0]];

/* Empty the directory open as dfd, down to depth levels of directories
 * below it, never following a symbolic link.  Async-signal-safe: raw
 * directory entries (getdents64), no allocation.  Entries are read again
 * from the start until a pass removes nothing, since removing entries
 * while reading may skip some. */
static void tree_clear_at(int dfd, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	int removed = 1;

	while (removed) {
		ssize_t n;

		removed = 0;
		if (lseek(dfd, 0, SEEK_SET) < 0)
			return;
		while ((n = getdents64(dfd, buf, sizeof buf)) > 0)
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *e = (struct dirent64 *)(void *)(buf + off);
				const char *name = e->d_name;

				off += e->d_reclen;
				if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
					continue;
				if (e->d_type != DT_DIR && unlinkat(dfd, name, 0) == 0) {
					removed = 1;
					continue;
				}
				if (depth > 0 && (e->d_type == DT_DIR || errno == EISDIR)) {
					int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

					if (sub >= 0) {
						tree_clear_at(sub, depth - 1);
						close(sub);
					}
					if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
						removed = 1;
				}
			}
	}
}

int cp_remove_tree(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return unlink(path);
	tree_clear_at(dfd, 16);
	close(dfd);
	return rmdir(path);
}

static volatile sig_atomic_t tmp_child;

void cp_tmp_child(pid_t pid)
{
	tmp_child = (sig_atomic_t)pid;
}

void cp_tmp_abandon(void)
{
	if (tmp_child > 0) {	/* it may still be writing in a temporary */
		kill((pid_t)tmp_child, SIGKILL);
		waitpid((pid_t)tmp_child, NULL, 0);
	}
	for (int i = 0; i < TMP_MAX_FILES; i++)
		if (tmp_paths[i])
			unlink(tmp_paths[i]);
	for (int i = 0; i < TMP_MAX_DIRS; i++)
		if (tmp_dirs[i])
			cp_remove_tree(tmp_dirs[i]);
}

static void tmp_signal_handler(int sig)
{
	cp_tmp_abandon();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Hold off the handled signals over a temporary's creation and
 * registration, so that none is created unregistered. */
static void tmp_signals_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++)
		sigaddset(&set, tmp_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void tmp_signals_release(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

pid_t cp_tmp_fork(void)
{
	sigset_t held;
	pid_t pid;

	cp_tmp_install_signal_handlers();
	tmp_signals_hold(&held);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++)
			if (tmp_caught[i])
				signal(tmp_signals[i], SIG_DFL);
	} else if (pid > 0)
		tmp_child = (sig_atomic_t)pid;
	tmp_signals_release(&held);
	return pid;
}

void cp_tmp_install_signal_handlers(void)
{
	struct sigaction sa;

	if (tmp_handlers_installed)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tmp_signal_handler;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++)
		sigaddset(&sa.sa_mask, tmp_signals[i]);
	for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++) {
		struct sigaction old;

		if (sigaction(tmp_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(tmp_signals[i], &sa, NULL);
		tmp_caught[i] = 1;
	}
	/* A write past the file-size limit (ulimit -f) then fails with EFBIG
	 * and takes the error path, which removes the temporary, instead of
	 * killing the program with the temporary left behind. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
	tmp_handlers_installed = 1;
}

/* Add path to one of the tables above (n slots), or forget it there. */
static int slot_add(char **table, int n, char *path)
{
	for (int i = 0; i < n; i++)
		if (!table[i]) {
			table[i] = path;
			return 0;
		}
	return -1;
}

static void slot_forget(char **table, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (table[i] && strcmp(table[i], path) == 0) {
			char *p = table[i];

			table[i] = NULL;
			free(p);
			return;
		}
}

static int tmp_register(char *path, int lock)
{
	for (int i = 0; i < TMP_MAX_FILES; i++)
		if (!tmp_paths[i]) {
			tmp_paths[i] = path;
			tmp_locks[i] = lock;
			return 0;
		}
	return -1;
}

static void tmp_forget(const char *path)
{
	for (int i = 0; i < TMP_MAX_FILES; i++)
		if (tmp_paths[i] && strcmp(tmp_paths[i], path) == 0) {
			close(tmp_locks[i]);
			break;
		}
	slot_forget(tmp_paths, TMP_MAX_FILES, path);
}

/* The regular files read as inputs so far, which no output may replace;
 * each with its path (NULL: standard input), to see that it is still that
 * file when an output is checked (a deleted file's inode number is reused). */
#define INPUT_MAX 256
static struct {
	dev_t dev;
	ino_t ino;
	char *path;
} inputs[INPUT_MAX];
static int n_inputs;

static void forget_inode(dev_t dev, ino_t ino)
{
	for (int i = 0; i < n_inputs; i++)
		if (inputs[i].dev == dev && inputs[i].ino == ino) {
			free(inputs[i].path);
			inputs[i--] = inputs[--n_inputs];
			inputs[n_inputs].path = NULL;
		}
}

void cp_inputs_note(int fd, const char *path)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return;
	/* an entry of the same inode is this file, or a deleted one whose
	 * number it took: replaced */
	forget_inode(sb.st_dev, sb.st_ino);
	if (n_inputs < INPUT_MAX) {
		inputs[n_inputs].path = path ? strdup(path) : NULL;
		if (path && !inputs[n_inputs].path)
			return;
		inputs[n_inputs].dev = sb.st_dev;
		inputs[n_inputs++].ino = sb.st_ino;
	}
}

void cp_inputs_forget(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == 0)
		forget_inode(sb.st_dev, sb.st_ino);
}

/* -1 with err set when the file at path is one of the inputs. */
static int not_an_input(const char *path, cp_error *err)
{
	struct stat sb, now;

	if (stat(path, &sb) < 0)
		return 0;
	for (int i = 0; i < n_inputs; i++)
		if (inputs[i].dev == sb.st_dev && inputs[i].ino == sb.st_ino &&
		    (inputs[i].path ? stat(inputs[i].path, &now) : fstat(STDIN_FILENO, &now)) == 0 &&
		    now.st_dev == sb.st_dev && now.st_ino == sb.st_ino)
			return cp_error_set(err, "%s: the output is also an input: give another name", path);
	return 0;
}

/* Where the output really goes: the file a symbolic link leads to
 * (resolved), the path itself otherwise (a dangling link is replaced).
 * Owned by the caller. */
static char *output_target(const char *path)
{
	struct stat sb;
	char *real;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && (real = realpath(path, NULL)))
		return real;
	return strdup(path);
}

int cp_tmp_check(const char *tmp_path, const char *final_path, cp_error *err)
{
	if (!tmp_path || !*tmp_path)	/* written in place */
		return 0;
	return not_an_input(final_path, err);
}

/* The directory part of path, resolved, then "/" and its last part (the
 * target's, for a symbolic link); NULL if the directory does not resolve. */
static char *output_identity(const char *path)
{
	char *target = output_target(path), *dir, *slash, *real, *id = NULL;

	if (!target)
		return NULL;
	slash = strrchr(target, '/');
	dir = slash ? strndup(target, slash == target ? 1 : (size_t)(slash - target)) : strdup(".");
	if (dir && (real = realpath(dir, NULL))) {
		const char *base = slash ? slash + 1 : target;

		if ((id = malloc(strlen(real) + strlen(base) + 2)))
			sprintf(id, "%s/%s", real, base);
		free(real);
	}
	free(dir);
	free(target);
	return id;
}

int cp_same_output(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ia, *ib;
	int same;

	if (strcmp(a, b) == 0)
		return 1;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ia = output_identity(a);
	ib = output_identity(b);
	same = ia && ib && strcmp(ia, ib) == 0;
	free(ia);
	free(ib);
	return same;
}

int cp_tmp_create(const char *final_path, char **tmp_path, cp_error *err)
{
	struct stat sb;
	sigset_t held;
	char *tmpl, *reg, *target;
	size_t len;
	int fd, lock;

	*tmp_path = NULL;
	if (!*final_path)	/* a temporary ".tmp.XXXXXX" that no rename could commit */
		return cp_error_set(err, "an output file name is empty");
	if (stat(final_path, &sb) == 0) {
		struct stat std;
		int alias = -1;

		if (S_ISDIR(sb.st_mode))
			return cp_error_set(err, "%s: Is a directory", final_path);
		/* standard output or error by another name (/dev/stdout,
		 * /proc/self/fd/1, ...): written through that descriptor, so
		 * what the shell made of it (appending, a file shared with
		 * other commands) holds */
		for (int d = STDOUT_FILENO; d <= STDERR_FILENO && alias < 0; d++)
			if (fstat(d, &std) == 0 && std.st_dev == sb.st_dev && std.st_ino == sb.st_ino)
				alias = d;
		if (alias >= 0 || !S_ISREG(sb.st_mode)) {
			/* that, a device or a pipe: written in place, never
			 * replaced (an empty tmp_path: nothing to rename) */
			if ((fd = alias >= 0 ? dup(alias) : open(final_path, O_WRONLY)) < 0)
				return cp_error_errno(err, final_path);
			if (!(*tmp_path = strdup(""))) {
				close(fd);
				return cp_error_set(err, "out of memory");
			}
			return fd;
		}
		if (not_an_input(final_path, err) < 0)
			return -1;
	}
	if (!(target = output_target(final_path)))
		return cp_error_set(err, "out of memory");
	len = strlen(target);
	tmpl = cp_malloc(len + 16, 1, err);
	if (!tmpl) {
		free(target);
		return -1;
	}
	snprintf(tmpl, len + 16, "%s.tmp.XXXXXX", target);
	free(target);
	if (!(reg = malloc(len + 16))) {
		free(tmpl);
		return cp_error_set(err, "out of memory");
	}
	memcpy(reg, tmpl, len + 16);	/* the template, for another try */
	tmp_signals_hold(&held);
	/* locked until renamed or removed, through a descriptor of its own
	 * (the writer closes its one first): cp_tmp_sweep leaves the
	 * temporary of a run still writing alone.  One that a sweep found
	 * before the lock, and holds or has removed, is left to it: another
	 * is made */
	while ((fd = mkstemp(tmpl)) >= 0 &&
	       ((flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) ||
		(fstat(fd, &sb) == 0 && sb.st_nlink == 0))) {
		close(fd);
		memcpy(tmpl, reg, len + 16);
	}
	if (fd < 0) {
		tmp_signals_release(&held);
		cp_error_errno(err, final_path);
		free(reg);
		free(tmpl);
		return -1;
	}
	lock = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	memcpy(reg, tmpl, len + 16);
	if (lock < 0 || tmp_register(reg, lock) < 0) {
		if (lock < 0) {
			cp_error_errno(err, final_path);
		} else {
			close(lock);
			cp_error_set(err, "%s: too many temporary files open", final_path);
		}
		close(fd);
		unlink(tmpl);
		tmp_signals_release(&held);
		free(reg);
		free(tmpl);
		return -1;
	}
	tmp_signals_release(&held);
	/* mkstemp creates 0600; give the output the mode a plain open would. */
	{
		mode_t mask = umask(0);

		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	*tmp_path = tmpl;
	return fd;
}

static int tmp_dir_register(char *path)
{
	return slot_add(tmp_dirs, TMP_MAX_DIRS, path);
}

static void tmp_dir_forget(const char *path)
{
	slot_forget(tmp_dirs, TMP_MAX_DIRS, path);
}

int cp_tmp_dir_create(const char *final_dir, char **tmp_dir, cp_error *err)
{
	size_t len = strlen(final_dir) + 16;
	char *tmpl = cp_malloc(len, 1, err), *reg = cp_malloc(len, 1, err);
	sigset_t held;
	mode_t mask;

	*tmp_dir = NULL;
	if (!tmpl || !reg) {
		free(tmpl), free(reg);
		return -1;
	}
	snprintf(tmpl, len, "%s.tmp.XXXXXX", final_dir);
	cp_tmp_install_signal_handlers();
	tmp_signals_hold(&held);
	if (!mkdtemp(tmpl)) {
		tmp_signals_release(&held);
		free(tmpl), free(reg);
		return cp_error_errno(err, final_dir);
	}
	memcpy(reg, tmpl, len);
	if (tmp_dir_register(reg) < 0) {
		rmdir(tmpl);
		tmp_signals_release(&held);
		free(tmpl), free(reg);
		return cp_error_set(err, "%s: too many temporary directories open", final_dir);
	}
	tmp_signals_release(&held);
	/* mkdtemp creates 0700; give it the mode a plain mkdir would */
	mask = umask(0);
	umask(mask);
	chmod(tmpl, 0777 & ~mask);
	*tmp_dir = tmpl;
	return 0;
}

int cp_tmp_dir_commit(const char *tmp_dir, const char *final_dir, cp_error *err)
{
	struct stat sb;
	char *old = NULL;
	int rc = 0;

	if (lstat(final_dir, &sb) < 0) {
		if (rename(tmp_dir, final_dir) < 0)
			rc = cp_error_errno(err, final_dir);
	} else if (renameat2(AT_FDCWD, tmp_dir, AT_FDCWD, final_dir, RENAME_EXCHANGE) == 0) {
		/* swapped in one step: tmp_dir now holds the old one */
		cp_remove_tree(tmp_dir);
	} else if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
		rc = cp_error_errno(err, final_dir);
	} else {
		/* no exchange on this file system: the old one moves aside
		 * first, and back if the new one cannot take its place */
		size_t len = strlen(final_dir) + 16;

		if (!(old = cp_malloc(len, 1, err)))
			rc = -1;
		else {
			snprintf(old, len, "%s.old.XXXXXX", final_dir);
			if (!mkdtemp(old) || rmdir(old) < 0 || rename(final_dir, old) < 0)
				rc = cp_error_errno(err, final_dir);
			else if (rename(tmp_dir, final_dir) < 0) {
				rc = cp_error_errno(err, final_dir);
				rename(old, final_dir);
			} else
				cp_remove_tree(old);
		}
	}
	if (rc < 0)
		cp_remove_tree(tmp_dir);
	tmp_dir_forget(tmp_dir);
	free(old);
	return rc;
}

void cp_tmp_dir_discard(const char *tmp_dir)
{
	if (!tmp_dir)
		return;
	cp_remove_tree(tmp_dir);
	tmp_dir_forget(tmp_dir);
}

int cp_tmp_commit(const char *tmp_path, const char *final_path, cp_error *err)
{
	char *target;
	int rc = 0;

	if (!*tmp_path)	/* written in place */
		return 0;
	/* an input opened after the output was created is still refused */
	target = NULL;
	if (not_an_input(final_path, err) < 0 ||
	    (!(target = output_target(final_path)) && cp_error_set(err, "out of memory") < 0)) {
		unlink(tmp_path);
		tmp_forget(tmp_path);
		return -1;
	}
	if (rename(tmp_path, target) < 0) {
		rc = cp_error_errno(err, final_path);
		unlink(tmp_path);
	}
	tmp_forget(tmp_path);
	free(target);
	return rc;
}

void cp_tmp_discard(const char *tmp_path)
{
	if (!tmp_path || !*tmp_path)
		return;
	unlink(tmp_path);
	tmp_forget(tmp_path);
}

static int sweep_beside(const char *final_path)
{
	const char *slash = strrchr(final_path, '/');
	const char *base = slash ? slash + 1 : final_path;
	size_t blen = strlen(base);
	char *dir, *path = NULL;
	DIR *d;
	struct dirent *e;
	int n = 0, fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == final_path)
		dir = strdup("/");
	else
		dir = strndup(final_path, (size_t)(slash - final_path));
	if (!dir)
		return 0;
	if (!(d = opendir(dir))) {
		free(dir);
		return 0;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len != blen + 11 || strncmp(e->d_name, base, blen) != 0 ||
		    strncmp(e->d_name + blen, ".tmp.", 5) != 0)
			continue;
		free(path);
		if (!(path = malloc(strlen(dir) + len + 2)))
			break;
		sprintf(path, "%s/%s", dir, e->d_name);
		/* one a live writer holds locked (cp_tmp_create) is another
		 * run's, writing the same output now (opened for writing: NFS
		 * takes an exclusive lock only so) */
		if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0 &&
		    flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			close(fd);
			continue;
		}
		if (unlink(path) == 0)
			n++;
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	free(path);
	free(dir);
	return n;
}

int cp_tmp_sweep(const char *final_path)
{
	/* beside the file a symbolic link leads to, where cp_tmp_create
	 * makes them */
	char *target = output_target(final_path);
	int n = target ? sweep_beside(target) : 0;

	free(target);
	return n;
}

/* ---- parsing ---------------------------------------------------------- */

const char *cp_path_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

int cp_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cp_parse_f64(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	/* Decimal text only: strtod would also take hexadecimal floats
	 * ("0x1p3") and "nan(...)" payloads, which no input of ours holds. */
	const char *t = s + (*s == '-' || *s == '+');

	if ((t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) || strchr(t, '('))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || (errno == ERANGE && isinf(v)))
		return -1;
	*out = v;
	return 0;
}

int cp_strcasecmp_ascii(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);

		if (ca != cb || !ca)
			return ca - cb;
	}
}

/* ---- growable buffer -------------------------------------------------- */

int cp_buf_reserve(cp_buf *b, size_t need, cp_error *err)
{
	size_t want;
	char *p;

	if (cp_add_size(b->len, need, &want) < 0)
		return cp_error_set(err, "buffer size overflows");
	if (want + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;

	while (cap < want + 1) {
		if (cap > SIZE_MAX / 2) {
			cap = want + 1;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return cp_error_set(err, "out of memory growing a buffer to %zu bytes", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int cp_buf_append(cp_buf *b, const void *p, size_t n, cp_error *err)
{
	if (cp_buf_reserve(b, n, err) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cp_buf_printf(cp_buf *b, cp_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cp_error_set(err, "formatting failed");
	if (cp_buf_reserve(b, (size_t)n, err) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void cp_buf_free(cp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
