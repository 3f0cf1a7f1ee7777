/*
 * obo.h - the Gene Ontology as an OBO 1.2/1.4 flat file (plain, .gz, .zst
 * or "-" for standard input).
 *
 * Only [Term] stanzas are read; [Typedef] and [Instance] stanzas are
 * skipped.  Of a term, the tags kept are id, name, namespace, alt_id,
 * is_a, relationship (part_of; other relations are counted and ignored),
 * is_obsolete and replaced_by.  Values are unescaped (\", \!, \{, \\ ...),
 * and trailing "! comments" and "{qualifier=...}" blocks are removed.  A
 * term without a namespace tag takes the header's default-namespace.
 *
 * Every term, live or obsolete, gets an index in file order.  Edges go
 * child -> parent, to the parent's primary id (an alt_id written as a
 * target is resolved).  An edge to an obsolete term or to an id the file
 * does not define is dropped and counted (GO.db's go-basic, for one, ties
 * the three namespace roots to a pseudo-term "all" it does not define);
 * so is a replaced_by to an undefined id.  Errors: a [Term] without an id
 * or with two, an id defined twice, an alt_id that is already an id, a live
 * term without a known namespace, a tag line without a colon, a malformed
 * stanza header, an is_a or relationship without a target.  Every error
 * names the file and line.  Cycles are not looked for here (go_build.h
 * does, over the relations it uses).
 */
#ifndef CP_OBO_H
#define CP_OBO_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct obo_term {
	const char *id;
	const char *name;	/* "" when the stanza has none */
	int ns;			/* go_namespace; -1 for an obsolete term without one */
	int obsolete;
	size_t line;		/* line of the [Term] header */
	/* this term's parent edges are edges[edge_begin .. edge_end) */
	size_t edge_begin, edge_end;
	/* its replaced_by targets are replaced_by[replaced_begin .. replaced_end) */
	size_t replaced_begin, replaced_end;
} obo_term;

typedef struct obo_edge {
	int32_t parent;		/* term index */
	uint8_t relation;	/* go_relation (go_dag.h) */
	uint32_t line;		/* line of the tag, for messages */
} obo_edge;

typedef struct obo_ontology {
	char *path;			/* as given ("<stdin>" for "-") */
	const char *format_version;	/* header tags, "" when absent */
	const char *data_version;
	size_t n_terms;
	obo_term *terms;		/* malloc()ed, freed by obo_free */
	size_t n_edges;
	obo_edge *edges;
	size_t n_replaced;
	int32_t *replaced_by;		/* term indices */

	/* counts for the summary */
	size_t n_obsolete;		/* obsolete terms */
	size_t n_alt_ids;		/* alt_id tags */
	size_t n_other_relations;	/* relationship tags other than part_of */
	size_t n_edges_dropped;		/* edges to obsolete or undefined terms */
	size_t n_skipped_stanzas;	/* [Typedef], [Instance] ... */
	size_t bytes;			/* decompressed bytes read */

	cp_strmap *ids;			/* primary ids and alt_ids -> term index */
	cp_arena arena;			/* owns the strings, edges and replaced_by */
} obo_ontology;

void obo_init(obo_ontology *o);
void obo_free(obo_ontology *o);

/* Read path ("-" = stdin) into o (initialised here).  On failure o is
 * freed and err says file:line and what is wrong. */
int obo_read(obo_ontology *o, const char *path, cp_error *err);

/* Term index of a primary id or alt_id, -1 when the file has neither. */
int32_t obo_lookup(const obo_ontology *o, const char *id);
int32_t obo_lookupn(const obo_ontology *o, const char *id, size_t len);

/*
 * The live terms an obsolete term's annotations move to: follow its
 * replaced_by targets, and theirs when a target is itself obsolete, until
 * live terms are reached (at most max are stored in out, in ascending
 * index order, without repeats); queue is scratch with room for
 * o->n_replaced + 1 terms.  Returns how many; 0 when there is no live
 * replacement.  A live term returns itself.
 */
size_t obo_replacements(const obo_ontology *o, int32_t term, int32_t *out, size_t max,
			int32_t *queue);

#ifdef __cplusplus
}
#endif

#endif
