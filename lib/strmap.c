/* strmap.c - open-addressing string -> int64 map. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *key;	/* NULL = empty slot */
	size_t len;
	uint64_t hash;
	int64_t value;
} slot;

struct cp_strmap {
	slot *slots;
	size_t cap, size;	/* cap is a power of two */
	int nocase;
	cp_arena keys;
};

static inline unsigned char fold(unsigned char c, int nocase)
{
	return nocase && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint64_t hash_key(const char *s, size_t len, int nocase)
{
	/* FNV-1a over folded bytes, then a 64-bit finaliser for spread */
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= fold((unsigned char)s[i], nocase);
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static int same(const slot *sl, const char *key, size_t len, uint64_t h, int nocase)
{
	if (sl->hash != h || sl->len != len)
		return 0;
	if (!nocase)
		return memcmp(sl->key, key, len) == 0;
	for (size_t i = 0; i < len; i++)
		if (fold((unsigned char)sl->key[i], 1) != fold((unsigned char)key[i], 1))
			return 0;
	return 1;
}

cp_strmap *cp_strmap_new(int case_insensitive, cp_error *err)
{
	cp_strmap *m = calloc(1, sizeof *m);

	if (!m) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	m->nocase = case_insensitive;
	cp_arena_init(&m->keys);
	return m;
}

void cp_strmap_free(cp_strmap *m)
{
	if (!m)
		return;
	cp_arena_free(&m->keys);
	free(m->slots);
	free(m);
}

static slot *find(const cp_strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		slot *sl = &m->slots[i];

		if (!sl->key || same(sl, key, len, h, m->nocase))
			return sl;
	}
}

static int grow(cp_strmap *m, cp_error *err)
{
	size_t old_cap = m->cap;
	slot *old = m->slots;

	m->slots = cp_calloc(old_cap * 2, sizeof *m->slots, err);
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
	return 0;
}

static int insert(cp_strmap *m, const char *key, int64_t value, int replace, int64_t *existing,
		  cp_error *err)
{
	size_t len = strlen(key);
	uint64_t h = hash_key(key, len, m->nocase);
	slot *sl;

	if ((m->size + 1) * 4 > m->cap * 3 && grow(m, err) < 0)
		return -1;
	sl = find(m, key, len, h);
	if (sl->key) {
		if (existing)
			*existing = sl->value;
		if (replace)
			sl->value = value;
		return 1;
	}
	sl->key = cp_arena_strndup(&m->keys, key, len, err);
	if (!sl->key)
		return -1;
	sl->len = len;
	sl->hash = h;
	sl->value = value;
	m->size++;
	return 0;
}

int cp_strmap_put(cp_strmap *m, const char *key, int64_t value, int64_t *existing, cp_error *err)
{
	return insert(m, key, value, 0, existing, err);
}

int cp_strmap_set(cp_strmap *m, const char *key, int64_t value, cp_error *err)
{
	return insert(m, key, value, 1, NULL, err) < 0 ? -1 : 0;
}

int cp_strmap_getn(const cp_strmap *m, const char *key, size_t len, int64_t *value)
{
	const slot *sl = find(m, key, len, hash_key(key, len, m->nocase));

	if (!sl->key)
		return 0;
	if (value)
		*value = sl->value;
	return 1;
}

int cp_strmap_get(const cp_strmap *m, const char *key, int64_t *value)
{
	return cp_strmap_getn(m, key, strlen(key), value);
}

size_t cp_strmap_size(const cp_strmap *m)
{
	return m->size;
}

typedef struct {
	const char *key;
	int64_t value;
} entry;

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

void cp_strmap_entries(const cp_strmap *m, const char **keys, int64_t *values)
{
	entry *e = malloc((m->size ? m->size : 1) * sizeof *e);
	size_t n = 0;

	if (!e) {
		/* fall back to table order rather than fail */
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key) {
				keys[n] = m->slots[i].key;
				values[n++] = m->slots[i].value;
			}
		return;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			e[n].key = m->slots[i].key;
			e[n++].value = m->slots[i].value;
		}
	cp_sort(e, n, sizeof *e, cmp_entries);
	for (size_t i = 0; i < n; i++) {
		keys[i] = e[i].key;
		values[i] = e[i].value;
	}
	free(e);
}
