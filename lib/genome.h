/*
 * genome.h - the gene list every tensor indexes, and identifier mapping.
 *
 * From the SGD features table the genome is every feature of type ORF
 * (Verified, Uncharacterized and Dubious, nuclear and mitochondrial),
 * ordered by systematic name: 6,604 genes in R64-2-1.  Any of a gene's
 * identifiers maps to its index, case-insensitively: the systematic name,
 * the standard name, the SGD ids (primary and secondary), the aliases and,
 * when a UniProt table is added, UniProt accessions.  When two genes share
 * an identifier, the stronger kind wins (systematic > standard > SGD id >
 * UniProt > alias); two genes sharing one of the same kind make it
 * ambiguous, and a lookup of it fails rather than guess.
 *
 * In a stream the genome is the "genome" record (cpz.h): names and hash,
 * plus, when written with aliases, "standard" (standard names, "" if none)
 * and "alias.name"/"alias.gene" (every other identifier and its gene), so a
 * later stage maps identifiers exactly as the first did.
 */
#ifndef CP_GENOME_H
#define CP_GENOME_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"
#include "strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { GENOME_UNKNOWN = -1, GENOME_AMBIGUOUS = -2 };

typedef struct genome {
	size_t n;
	const char **names;	/* systematic names, sorted */
	const char **standard;	/* standard names, "" when none */
	uint64_t hash;
	/* every identifier -> value (see genome.c); case-insensitive */
	cp_strmap *ids;
	size_t n_aliases;	/* identifiers other than systematic names */
	size_t n_ambiguous;	/* identifiers shared by genes of one kind */
	/* the genes each shared identifier was claimed for, so a genome
	 * record can carry the ambiguity on */
	struct genome_claim {
		const char *id;
		int32_t gene;
	} *claims;
	size_t n_claims, cap_claims;
	cp_arena arena;
} genome;

void genome_init(genome *g);
void genome_free(genome *g);

/* The ORFs of an SGD_features.tab (plain, .gz or .zst). */
int genome_load_sgd(genome *g, const char *path, cp_error *err);
/* The genome record of a cpz stream (its first data record), with its
 * aliases when the record carries them. */
int genome_load_cpz(const char *path, genome *g, cp_error *err);
/* Either of the above, recognised by content. */
int genome_load(genome *g, const char *path, cp_error *err);
/* Build from a genome record already read. */
int genome_from_record(genome *g, const cpz_record *rec, cp_error *err);

/* Add UniProt accessions from a CSV with columns Systematic_name,
 * Standard_name, Uniprot_id (yeast-GEM's SGD_with_Uniprot.csv).  Rows whose
 * systematic name is not in the genome are counted in *unmapped. */
int genome_add_uniprot(genome *g, const char *path, size_t *added, size_t *unmapped,
		       cp_error *err);

/* Gene index of an identifier, GENOME_UNKNOWN or GENOME_AMBIGUOUS. */
int32_t genome_lookup(const genome *g, const char *id);
int32_t genome_lookupn(const genome *g, const char *id, size_t len);

/* Add names and hash (and, with aliases, standard/alias.name/alias.gene)
 * to rec, whose type should be "genome".  Arrays are allocated in the
 * record's arena. */
int genome_to_record(const genome *g, cpz_record *rec, int with_aliases, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
