/* genome.c - the gene list and identifier mapping. */
#define _GNU_SOURCE
#include "genome.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table.h"
#include "textio.h"

/*
 * Map values pack the identifier's kind above the gene index; the gene
 * field all ones marks an ambiguous identifier.  Lower kind = stronger.
 */
enum { KIND_SYSTEMATIC = 0, KIND_STANDARD, KIND_SGDID, KIND_UNIPROT, KIND_ALIAS };
#define GENE_MASK 0xffffffffLL
#define AMBIGUOUS_GENE GENE_MASK

static int64_t pack(int kind, int64_t gene)
{
	return ((int64_t)kind << 32) | (gene & GENE_MASK);
}

void genome_init(genome *g)
{
	memset(g, 0, sizeof *g);
	cp_arena_init(&g->arena);
}

void genome_free(genome *g)
{
	if (!g)
		return;
	cp_strmap_free(g->ids);
	free(g->claims);
	cp_arena_free(&g->arena);
	memset(g, 0, sizeof *g);
}

/* Note that id (shared by genes of one kind) was claimed for gene. */
static int add_claim(genome *g, const char *id, int64_t gene, cp_error *err)
{
	if (g->n_claims == g->cap_claims) {
		size_t cap = g->cap_claims ? 2 * g->cap_claims : 64;
		struct genome_claim *p = cp_realloc(g->claims, cap, sizeof *p, err);

		if (!p)
			return -1;
		g->claims = p;
		g->cap_claims = cap;
	}
	g->claims[g->n_claims].id = cp_arena_strndup(&g->arena, id, strlen(id), err);
	if (!g->claims[g->n_claims].id)
		return -1;
	g->claims[g->n_claims++].gene = (int32_t)gene;
	return 0;
}

/* Record identifier id of the given kind for gene. */
static int add_id(genome *g, const char *id, int kind, int32_t gene, cp_error *err)
{
	int64_t old, value = pack(kind, gene);
	int rc;

	if (!*id)
		return 0;
	rc = cp_strmap_put(g->ids, id, value, &old, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (kind != KIND_SYSTEMATIC)
			g->n_aliases++;
		return 0;
	}
	int old_kind = (int)(old >> 32);
	int64_t old_gene = old & GENE_MASK;

	if (old_gene == gene || kind > old_kind)
		return 0;	/* same gene, or a weaker claim: keep the old */
	if (kind < old_kind)
		return cp_strmap_set(g->ids, id, value, err);
	if (old_gene != AMBIGUOUS_GENE) {
		g->n_ambiguous++;
		if (add_claim(g, id, old_gene, err) < 0)
			return -1;
	}
	if (add_claim(g, id, gene, err) < 0)
		return -1;
	return old_gene != AMBIGUOUS_GENE ? cp_strmap_set(g->ids, id, pack(kind, AMBIGUOUS_GENE), err) : 0;
}

int32_t genome_lookupn(const genome *g, const char *id, size_t len)
{
	int64_t v;

	if (!g->ids || !cp_strmap_getn(g->ids, id, len, &v))
		return GENOME_UNKNOWN;
	if ((v & GENE_MASK) == AMBIGUOUS_GENE)
		return GENOME_AMBIGUOUS;
	return (int32_t)(v & GENE_MASK);
}

int32_t genome_lookup(const genome *g, const char *id)
{
	return genome_lookupn(g, id, strlen(id));
}

typedef struct {
	const char *name, *standard, *sgdid, *aliases, *secondary;
	size_t line;
} sgd_row;

static int cmp_rows(const void *a, const void *b)
{
	const sgd_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static char *keep(genome *g, const char *s, cp_error *err)
{
	return cp_arena_strndup(&g->arena, s, strlen(s), err);
}

/* Add each '|'-separated identifier of list. */
static int add_list(genome *g, const char *list, int kind, int32_t gene, cp_error *err)
{
	char buf[512];

	while (*list) {
		const char *bar = strchr(list, '|');
		size_t len = bar ? (size_t)(bar - list) : strlen(list);

		if (len < sizeof buf) {
			memcpy(buf, list, len);
			buf[len] = '\0';
			if (add_id(g, buf, kind, gene, err) < 0)
				return -1;
		}
		list += len + (bar ? 1 : 0);
	}
	return 0;
}

int genome_load_sgd(genome *g, const char *path, cp_error *err)
{
	cp_table_options opts = { '\t', 0, 0 };
	cp_table *t = cp_table_open(path, &opts, err);
	sgd_row *rows = NULL;
	size_t n = 0, cap = 0, nf;
	char **f;
	int rc;

	genome_init(g);
	if (!t)
		return -1;
	g->ids = cp_strmap_new(1, err);
	if (!g->ids)
		goto fail;
	while ((rc = cp_table_next(t, &nf, &f, err)) == 1) {
		if (nf < 8) {
			cp_error_set(err, "%s:%zu: %zu columns, an SGD features table has 16", path,
				     cp_table_lineno(t), nf);
			goto fail;
		}
		if (strcmp(f[1], "ORF") != 0)
			continue;
		if (!*f[3]) {
			cp_error_set(err, "%s:%zu: an ORF without a feature name", path, cp_table_lineno(t));
			goto fail;
		}
		if (n == cap) {
			sgd_row *p;

			cap = cap ? cap * 2 : 8192;
			p = cp_realloc(rows, cap, sizeof *p, err);
			if (!p)
				goto fail;
			rows = p;
		}
		if (!(rows[n].name = keep(g, f[3], err)) || !(rows[n].standard = keep(g, f[4], err)) ||
		    !(rows[n].sgdid = keep(g, f[0], err)) || !(rows[n].aliases = keep(g, f[5], err)) ||
		    !(rows[n].secondary = keep(g, f[7], err)))
			goto fail;
		rows[n++].line = cp_table_lineno(t);
	}
	if (rc < 0)
		goto fail;
	if (n == 0) {
		cp_error_set(err, "%s: no ORF features: not an SGD features table?", path);
		goto fail;
	}
	cp_sort(rows, n, sizeof *rows, cmp_rows);
	g->n = n;
	g->names = cp_arena_alloc(&g->arena, n * sizeof *g->names, err);
	g->standard = cp_arena_alloc(&g->arena, n * sizeof *g->standard, err);
	if (!g->names || !g->standard)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(rows[i].name, rows[i - 1].name) == 0) {
			cp_error_set(err, "%s:%zu: column 4 (feature name): ORF %s appears twice (first on "
				     "line %zu)", path, rows[i].line, rows[i].name, rows[i - 1].line);
			goto fail;
		}
		g->names[i] = rows[i].name;
		g->standard[i] = rows[i].standard;
		if (add_id(g, rows[i].name, KIND_SYSTEMATIC, (int32_t)i, err) < 0)
			goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (add_id(g, rows[i].standard, KIND_STANDARD, (int32_t)i, err) < 0 ||
		    add_id(g, rows[i].sgdid, KIND_SGDID, (int32_t)i, err) < 0 ||
		    add_list(g, rows[i].secondary, KIND_SGDID, (int32_t)i, err) < 0 ||
		    add_list(g, rows[i].aliases, KIND_ALIAS, (int32_t)i, err) < 0)
			goto fail;
	g->hash = cpz_genome_hash(n, g->names);
	free(rows);
	cp_table_close(t);
	return 0;
fail:
	free(rows);
	cp_table_close(t);
	genome_free(g);
	return -1;
}

int genome_from_record(genome *g, const cpz_record *rec, cp_error *err)
{
	const char *const *names, *const *alias = NULL, *const *standard = NULL;
	const cpz_tensor *alias_gene = NULL;
	size_t n, na = 0, ns;

	genome_init(g);
	if (cpz_record_genome(rec, &n, &names, &g->hash, err) < 0)
		return -1;
	/* cpz_record_genome checked the standard names and the aliases */
	if (cpz_record_field(rec, "standard"))
		standard = cpz_record_strings(rec, "standard", &ns, err);
	if (cpz_record_field(rec, "alias.name")) {
		alias = cpz_record_strings(rec, "alias.name", &na, err);
		alias_gene = cpz_record_tensor(rec, "alias.gene", CPZ_I32, 1, err);
	}
	g->n = n;
	g->ids = cp_strmap_new(1, err);
	g->names = cp_arena_alloc(&g->arena, (n ? n : 1) * sizeof *g->names, err);
	g->standard = cp_arena_alloc(&g->arena, (n ? n : 1) * sizeof *g->standard, err);
	if (!g->ids || !g->names || !g->standard)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (!(g->names[i] = keep(g, names[i], err)) ||
		    !(g->standard[i] = keep(g, standard ? standard[i] : "", err)))
			goto fail;
		if (add_id(g, names[i], KIND_SYSTEMATIC, (int32_t)i, err) < 0)
			goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (add_id(g, g->standard[i], KIND_STANDARD, (int32_t)i, err) < 0)
			goto fail;
	for (size_t i = 0; i < na; i++)
		if (add_id(g, alias[i], KIND_ALIAS, ((const int32_t *)alias_gene->data)[i], err) < 0)
			goto fail;
	return 0;
fail:
	genome_free(g);
	return -1;
}

int genome_load_cpz(const char *path, genome *g, cp_error *err)
{
	cpz_reader *r = cpz_reader_open(path, err);
	cpz_record rec;
	int rc;

	genome_init(g);
	if (!r)
		return -1;
	cpz_record_init(&rec);
	rc = cpz_reader_next(r, &rec, err);
	if (rc == 0)
		cp_error_set(err, "%s: no records, so no genome", path);
	if (rc == 1) {
		if (strcmp(rec.type, "genome") != 0) {
			cp_error_set(err, "%s: the first record is %s, not a genome", path, rec.type);
			rc = -1;
		} else {
			rc = genome_from_record(g, &rec, err) < 0 ? -1 : 1;
		}
	}
	cpz_record_free(&rec);
	cpz_reader_close(r);
	return rc == 1 ? 0 : -1;
}

/*
 * Make standard input readable twice from *start: as it is where it can
 * seek, else by copying what is left of it into a memory file put in its
 * place (a genome is a few megabytes).
 */
static int stdin_rereadable(off_t *start, cp_error *err)
{
	char buf[65536];
	int fd;

	*start = lseek(STDIN_FILENO, 0, SEEK_CUR);
	if (*start >= 0)
		return 0;
	fd = memfd_create("stdin", MFD_CLOEXEC);
	if (fd < 0)
		return cp_error_errno(err, "<stdin>: memfd_create");
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cp_error_errno(err, "<stdin>");
			break;
		}
		if (n == 0) {
			if (lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, STDIN_FILENO) == STDIN_FILENO) {
				close(fd);
				*start = 0;
				return 0;
			}
			cp_error_errno(err, "<stdin>");
			break;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				cp_error_errno(err, "<stdin>: memory file");
				close(fd);
				return -1;
			}
			w += k;
		}
	}
	close(fd);
	return -1;
}

int genome_load(genome *g, const char *path, cp_error *err)
{
	unsigned char magic[4] = { 0 };
	int fd, is_stdin = strcmp(path, "-") == 0;
	ssize_t got = 0;
	off_t start = 0;

	if (is_stdin) {
		if (stdin_rereadable(&start, err) < 0)
			return -1;
		got = pread(STDIN_FILENO, magic, sizeof magic, start);
	} else {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return cp_error_errno(err, path);
		got = read(fd, magic, sizeof magic);
		close(fd);
	}
	/* A zstd frame whose content is a cpz header means a stream, which
	 * may also start with a skippable frame (cpz(5)); a compressed
	 * features table is also zstd, so ask the reader. */
	if (got == 4 && ((magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) ||
			 ((magic[0] & 0xf0) == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d &&
			  magic[3] == 0x18))) {
		cp_error probe;
		cpz_reader *r = cpz_reader_open(path, &probe);

		if (r)
			cpz_reader_close(r);
		if (is_stdin && lseek(STDIN_FILENO, start, SEEK_SET) != start)
			return cp_error_errno(err, "<stdin>");
		if (r)
			return genome_load_cpz(path, g, err);
	}
	return genome_load_sgd(g, path, err);
}

int genome_add_uniprot(genome *g, const char *path, size_t *added, size_t *unmapped,
		       cp_error *err)
{
	cp_table_options opts = { ',', 1, 0 };
	cp_table *t = cp_table_open(path, &opts, err);
	size_t nf, before = g->n_aliases, line = 0;
	char **f;
	int rc;

	*unmapped = 0;
	if (!t)
		return -1;
	while ((rc = cp_table_next(t, &nf, &f, err)) == 1) {
		int32_t gene;

		if (line++ == 0) {	/* the header, its first three columns by name */
			if (nf < 3 || strcmp(f[0], "Systematic_name") != 0 ||
			    strcmp(f[1], "Standard_name") != 0 || strcmp(f[2], "Uniprot_id") != 0) {
				cp_error_set(err, "%s:%zu: expected the header Systematic_name,Standard_name,"
					     "Uniprot_id", path, cp_table_lineno(t));
				cp_table_close(t);
				return -1;
			}
			continue;
		}
		if (nf < 3) {
			cp_error_set(err, "%s:%zu: %zu columns, expected Systematic_name,Standard_name,"
				     "Uniprot_id", path, cp_table_lineno(t), nf);
			cp_table_close(t);
			return -1;
		}
		gene = genome_lookup(g, f[0]);
		if (gene < 0 || strcasecmp(g->names[gene], f[0]) != 0) {
			(*unmapped)++;
			continue;
		}
		if (add_id(g, f[2], KIND_UNIPROT, gene, err) < 0) {
			cp_table_close(t);
			return -1;
		}
	}
	cp_table_close(t);
	if (rc < 0)
		return -1;
	if (line == 0)
		return cp_error_set(err, "%s: empty: expected the header Systematic_name,Standard_name,"
				    "Uniprot_id", path);
	*added = g->n_aliases - before;
	return 0;
}

/* Claims by identifier (in any case), then gene. */
static int cmp_claim(const void *x, const void *y)
{
	const struct genome_claim *a = x, *b = y;
	int c = strcasecmp(a->id, b->id);

	return c ? c : (a->gene > b->gene) - (a->gene < b->gene);
}

int genome_to_record(const genome *g, cpz_record *rec, int with_aliases, cp_error *err)
{
	struct genome_claim *claims;
	const char **standard, **keys, **alias;
	int64_t *values, n_alias;
	int32_t *alias_gene;
	size_t total, k = 0;

	if (cpz_record_add_genome(rec, g->n, g->names, err) < 0)
		return -1;
	if (!with_aliases)
		return 0;
	standard = cp_arena_alloc(&rec->arena, (g->n ? g->n : 1) * sizeof *standard, err);
	if (!standard)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		standard[i] = g->standard[i];
	if (cpz_record_add_strings(rec, "standard", g->n, standard, err) < 0)
		return -1;
	/* Every identifier that maps to one gene and is neither that gene's
	 * systematic nor its standard name, in sorted order for determinism. */
	total = cp_strmap_size(g->ids);
	keys = cp_arena_alloc(&rec->arena, (total + 1) * sizeof *keys, err);
	values = cp_arena_alloc(&rec->arena, (total + 1) * sizeof *values, err);
	alias = cp_arena_alloc(&rec->arena, (total + g->n_claims + 1) * sizeof *alias, err);
	alias_gene = cp_arena_alloc(&rec->arena, (total + g->n_claims + 1) * sizeof *alias_gene, err);
	claims = cp_arena_alloc(&rec->arena, (g->n_claims + 1) * sizeof *claims, err);
	if (!keys || !values || !alias || !alias_gene || !claims)
		return -1;
	cp_strmap_entries(g->ids, keys, values);
	for (size_t i = 0; i < total; i++) {
		int64_t gene = values[i] & GENE_MASK;

		if (gene == AMBIGUOUS_GENE || strcasecmp(g->names[gene], keys[i]) == 0 ||
		    strcasecmp(g->standard[gene], keys[i]) == 0)
			continue;
		alias[k] = keys[i];
		alias_gene[k++] = (int32_t)gene;
	}
	/* then each identifier still shared, once with each of its genes: a
	 * reader finds it shared as this genome does */
	if (g->n_claims)
		memcpy(claims, g->claims, g->n_claims * sizeof *claims);
	cp_sort(claims, g->n_claims, sizeof *claims, cmp_claim);
	for (size_t i = 0; i < g->n_claims; i++) {
		if (i && cmp_claim(&claims[i - 1], &claims[i]) == 0)
			continue;
		if (genome_lookup(g, claims[i].id) != GENOME_AMBIGUOUS)
			continue;	/* a stronger claim settled it */
		alias[k] = claims[i].id;
		alias_gene[k++] = claims[i].gene;
	}
	n_alias = (int64_t)k;
	if (cpz_record_add_strings(rec, "alias.name", k, alias, err) < 0 ||
	    cpz_record_add_tensor(rec, "alias.gene", CPZ_I32, 1, &n_alias, alias_gene, err) < 0)
		return -1;
	return 0;
}
